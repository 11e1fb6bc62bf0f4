#include "export/mlx/affine.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/half.h"
#include "qformat/codes.h"
#include "rounding/rtn.h"

namespace vlmq::exporters::mlx {

static_assert(std::endian::native == std::endian::little, "MLX words are written as little-endian bytes");

namespace {

uint16_t load_u16(const uint16_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

bool fp16_finite(uint16_t h) { return (h & 0x7c00u) != 0x7c00u; }

int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols)); }

}  // namespace

AffineMatrix::AffineMatrix(int64_t rows_, int64_t cols_, int bits_, int group_size_)
    : rows(rows_), cols(cols_), bits(bits_), group_size(group_size_) {
    assert(mlx_group_size_supported(group_size) && cols % group_size == 0 && (cols * bits) % 32 == 0);
    words.assign(size_t(rows * words_per_row()), 0u);
    scales.assign(size_t(rows * groups_per_row()), 0u);
    biases.assign(size_t(rows * groups_per_row()), 0u);
}

bool affine_from_vlmq(const Compute& c, const qformat::QMatrix& m, int bits, int group_size,
                      AffineMatrix& out, std::string* why) {
    assert(m.fmt.is_int() && bits >= m.fmt.bits && mlx_bits_supported(bits));
    const qformat::Layout l = m.layout();
    assert(l.group % group_size == 0);
    out = AffineMatrix(m.rows, m.cols, bits, group_size);
    const int64_t split = l.group / group_size;  // MLX groups per vlmq group
    const float offset = m.fmt.symmetric ? float(1 << (m.fmt.bits - 1)) : 0.0f;
    try {
        parallel_for(c.pool, m.rows, row_grain(m.cols), [&](int64_t r0, int64_t r1) {
            std::vector<uint8_t> codes(size_t(m.cols));
            for (int64_t r = r0; r < r1; ++r) {
                auto* dst = reinterpret_cast<uint8_t*>(out.words.data() + r * out.words_per_row());
                if (bits == m.fmt.bits) {
                    std::memcpy(dst, m.row_data(r), size_t(out.words_per_row()) * 4);
                } else {
                    qformat::unpack_codes(m.row_data(r), m.cols, m.fmt.bits, codes.data());
                    qformat::pack_codes(codes.data(), m.cols, bits, dst);
                }
                for (int64_t g = 0; g < l.groups_per_row; ++g) {
                    const size_t src = size_t(r * l.groups_per_row + g);
                    const uint16_t s = load_u16(m.scales + src);
                    uint16_t b;
                    if (m.fmt.symmetric) {
                        const float bias = -f16_to_f32(s) * offset;  // exact: a power-of-two multiple
                        b = f32_to_f16(bias);
                        if (!fp16_finite(b) && fp16_finite(s))
                            fail("row {}, group {}: bias {} (= -scale * {}) exceeds the fp16 range", r, g, bias, offset);
                    } else {
                        b = load_u16(m.biases + src);
                    }
                    for (int64_t k = 0; k < split; ++k) {
                        const size_t dst_g = size_t(r * out.groups_per_row() + g * split + k);
                        out.scales[dst_g] = s;
                        out.biases[dst_g] = b;
                    }
                }
            }
        });
    } catch (const Error& e) {
        if (why) *why = e.what();
        return false;
    }
    return true;
}

AffineMatrix affine_quantize_rtn(const Compute& c, const float* w, int64_t rows, int64_t cols, int bits,
                                 int group_size) {
    assert(mlx_bits_supported(bits));
    AffineMatrix out(rows, cols, bits, group_size);
    const float n_bins = float((1 << bits) - 1);
    const int64_t groups = out.groups_per_row();
    parallel_for(c.pool, rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
        std::vector<uint8_t> codes(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
            const float* row = w + r * cols;
            for (int64_t g = 0; g < groups; ++g) {
                const float* x = row + g * group_size;
                float mn = x[0], mx = x[0];
                for (int i = 0; i < group_size; ++i) {
                    if (!std::isfinite(x[i])) fail("row {}, group {}: non-finite weight", r, g);
                    mn = std::min(mn, x[i]);
                    mx = std::max(mx, x[i]);
                }
                // mlx/backend/cpu/quantized.cpp, quantize(): the parameter rule.
                const bool mask = std::fabs(mn) > std::fabs(mx);
                float scale = std::max((mx - mn) / n_bins, 1e-7f);
                scale = mask ? scale : -scale;
                const float edge = mask ? mn : mx;
                const float q0 = std::rint(edge / scale);
                float bias = 0.0f;
                if (q0 != 0.0f) {
                    scale = edge / q0;
                    bias = edge;
                }
                const rounding::GroupScale p{f32_to_f16(scale), f32_to_f16(bias)};
                if (!fp16_finite(p.scale)) fail("row {}, group {}: scale {} exceeds the fp16 range", r, g, scale);
                if (!fp16_finite(p.bias)) fail("row {}, group {}: bias {} exceeds the fp16 range", r, g, bias);
                rounding::quantize_group(x, group_size, bits, /*symmetric=*/false, p, codes.data() + g * group_size);
                out.scales[size_t(r * groups + g)] = p.scale;
                out.biases[size_t(r * groups + g)] = p.bias;
            }
            qformat::pack_codes(codes.data(), cols, bits,
                                reinterpret_cast<uint8_t*>(out.words.data() + r * out.words_per_row()));
        }
    });
    return out;
}

void affine_dequantize_row(const AffineMatrix& a, int64_t r, float* out) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(a.words.data() + r * a.words_per_row());
    std::vector<uint8_t> codes(size_t(a.cols));
    qformat::unpack_codes(bytes, a.cols, a.bits, codes.data());
    const int64_t groups = a.groups_per_row();
    for (int64_t g = 0; g < groups; ++g) {
        const float s = f16_to_f32(a.scales[size_t(r * groups + g)]);
        const float b = f16_to_f32(a.biases[size_t(r * groups + g)]);
        for (int64_t i = g * a.group_size; i < (g + 1) * a.group_size; ++i) out[i] = s * float(codes[size_t(i)]) + b;
    }
}

}  // namespace vlmq::exporters::mlx
