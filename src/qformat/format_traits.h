#pragma once
// The capability table of the storage encodings (like ggml's type_traits): one row per qformat::Encoding with
// what the code base decides from an encoding (name, stored dtype and tensors, element size, codec family), so
// no file outside qformat/ needs a `switch (f.encoding)`.
//
// Adding an encoding (e.g. a lookup-table / palettized one) touches: the Encoding enum (format.h) and its row in
// kEncodingTraits below; its codec (decode: dequantize_row_ref in qmatrix.cpp, dequant.cpp, dequant_avx2.cpp;
// encode: rounding/rtn.cpp, rtn_avx2.cpp); its kernels (kernels/gemv_f32_avx2.cpp, gemv_q8*.cpp when it has an
// integer dot product, gemm_avx2.cpp packing). Readers, writers and exporters ask the functions below.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "qformat/format.h"

namespace vlmq::qformat {

// How a matrix of an encoding is stored, and so which codec and kernel paths read it.
enum class Storage : uint8_t {
    // One tensor of element_dtype in the weight's own shape; decoded by converting element_dtype to fp32, read
    // directly by the fp32 GEMV loaders and the GEMM packing.
    Elements,
    // U8 rows of b-bit codes packed LSB-first [rows, row_bytes], F16 scales [rows, groups_per_row] and, for
    // affine formats, F16 biases of the same shape (format.h); decoded group by group, read by the int8-activation
    // GEMV where q8_gemv_supported, else dequantized on the fly. Core ML and MLX export only these as quantized.
    GroupedCodes,
};

struct EncodingTraits {
    Encoding encoding;
    std::string_view name;  // canonical name of an Elements encoding; the prefix of a GroupedCodes one ("int")
    Storage storage;
    DType element_dtype;  // safetensors dtype of the element tensor (packed codes: U8)
    int element_bits;     // stored bits per element; 0: Format::bits
    Format (*float_format)();  // Elements: the format (f32(), ...); GroupedCodes: null (parameters in the name)
};

inline constexpr std::array<EncodingTraits, 4> kEncodingTraits{{
    {Encoding::F32, "f32", Storage::Elements, DType::F32, 32, &Format::f32},
    {Encoding::F16, "f16", Storage::Elements, DType::F16, 16, &Format::f16},
    {Encoding::BF16, "bf16", Storage::Elements, DType::BF16, 16, &Format::bf16},
    {Encoding::Int, "int", Storage::GroupedCodes, DType::U8, 0, nullptr},
}};

constexpr const EncodingTraits& traits_of(Encoding e) { return kEncodingTraits[static_cast<size_t>(e)]; }
constexpr const EncodingTraits& traits_of(const Format& f) { return traits_of(f.encoding); }

// The dtype a format's element tensor is stored as: F32/F16/BF16 for float encodings, U8 for packed codes.
constexpr DType stored_dtype(const Format& f) { return traits_of(f).element_dtype; }

// Stored bits of one element: 32 / 16 for float encodings, Format::bits for codes.
constexpr int element_bits(const Format& f) {
    const int bits = traits_of(f).element_bits;
    return bits ? bits : f.bits;
}

// Bytes of one stored row (codes for Int, elements for floats): the hot-loop part of layout_of.
constexpr int64_t row_bytes_of(const Format& f, int64_t cols) { return (cols * element_bits(f) + 7) / 8; }

// The format of an unquantized weight of dtype t: f32/f16/bf16; nullopt for non-float dtypes.
std::optional<Format> float_format_of(DType t);

// One stored tensor of a matrix in some format: `Elements` is the tensor under the weight's own name; Scales and
// Biases go under package's scales_name / biases_name.
struct StoredTensor {
    enum class Part : uint8_t { Elements, Scales, Biases } part = Part::Elements;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
};

// The tensors a weight of `shape` (viewed as rows x cols, see format.h) is stored as in format f, in file order.
// Fails (vlmq::Error) like layout_of when a group size does not divide cols.
std::vector<StoredTensor> stored_tensors(const Format& f, int64_t rows, int64_t cols, const std::vector<int64_t>& shape);

}  // namespace vlmq::qformat
