#pragma once
// Storage formats for weight matrices. A format says only how bytes look; which tensor gets which
// format is the mixing policy's job (src/quant/plan) and how codes/scales are chosen is the rounding
// algorithm's (src/rounding). Bit-exact definitions: docs/formats.md. What each Encoding is stored as, and
// which codecs and kernels read it: format_traits.h.
//
// A weight tensor is viewed as a matrix of `rows` = shape[0] and `cols` = product of the remaining
// dims (conv weights [O, I, kh, kw] are quantized over the flattened input dims I*kh*kw).
//
// Int formats store, per row, `cols` unsigned b-bit codes u packed LSB-first into a bit stream
// (element j occupies bits [j*b, (j+1)*b) of the row; rows start on a byte boundary), plus one fp16
// scale s (and for affine formats one fp16 bias m) per group of `group` consecutive elements:
//   symmetric: w = s * (u - 2^(b-1))        affine: w = s * u + m
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vlmq::qformat {

enum class Encoding : uint8_t { F32, F16, BF16, Int };

struct Format {
    Encoding encoding = Encoding::F32;
    int bits = 0;           // Int only: 2..8
    int group_size = 0;     // Int only: elements per scale group; 0 = one group per row (per-channel)
    bool symmetric = true;  // Int only

    static Format f32() { return {}; }
    static Format f16() { return {Encoding::F16, 16, 0, true}; }
    static Format bf16() { return {Encoding::BF16, 16, 0, true}; }
    static Format integer(int bits, int group_size, bool symmetric) {
        return {Encoding::Int, bits, group_size, symmetric};
    }

    bool is_int() const { return encoding == Encoding::Int; }
    // Canonical name: "f32", "f16", "bf16", "int4_g32_sym", "int8_row_sym", "int4_g64_aff".
    std::string name() const;
    // Parses a canonical name. On failure `why` (when given) says which part is wrong and what it may be, e.g.
    // "group size 33 is not supported (allowed: g16, g32, g64, g128, g256, row)".
    static std::optional<Format> parse(std::string_view name, std::string* why = nullptr);
    // Storage bits per weight for a row of `cols` elements (codes + scales + biases).
    double bits_per_weight(int64_t cols) const;

    friend bool operator==(const Format&, const Format&) = default;
};

// The group sizes a format name or config may ask for: powers of two that are whole multiples of the AVX2
// kernels' 8-element step and that the exporters can express (MLX regroups 16 and 256). Format::integer still
// builds any group size (kernel tests use odd ones); the shape fallback below only ever lowers to 128/64/32.
inline constexpr int kGroupSizes[] = {16, 32, 64, 128, 256};
bool group_size_supported(int group_size);
std::string group_sizes_text();  // "g16, g32, g64, g128, g256, row"

// Byte layout of a rows x cols matrix stored in a format.
struct Layout {
    int64_t rows = 0, cols = 0;
    int64_t group = 0;           // effective group length (== cols for per-row groups); 0 for floats
    int64_t groups_per_row = 0;  // 0 for floats
    int64_t row_bytes = 0;       // packed codes (Int) or raw elements (floats) per row

    int64_t code_bytes() const { return rows * row_bytes; }
    int64_t scale_count() const { return rows * groups_per_row; }
};

// Fails (vlmq::Error) if an Int format's group size does not divide cols; see fit_group_size.
Layout layout_of(const Format& f, int64_t rows, int64_t cols);
// Total stored bytes: codes + fp16 scales (+ fp16 biases when affine).
int64_t stored_bytes(const Format& f, int64_t rows, int64_t cols);

// The documented shape fallback (docs/formats.md): if `group_size` does not divide cols, use the
// largest of 128/64/32 below it that does; if none does, one group per row. Returns the format to
// use and, when it differs, a human-readable note ("group 32 -> row (cols 27)").
Format fit_group_size(const Format& f, int64_t cols, std::string* note);

}  // namespace vlmq::qformat
