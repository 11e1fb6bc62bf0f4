// AVX2 twin of dequant.cpp: eight codes at a time (eight b-bit codes are exactly b bytes), the same
// per-element arithmetic as dequantize_row_ref, so the outputs are bit-identical.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/half.h"
#include "core/avx2_util.h"
#include "qformat/dequant.h"

namespace vlmq::qformat::detail {

namespace av = avx2;

namespace {

uint16_t load_u16(const uint16_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

template <int B, bool SYM>
void int_range(const QMatrix& m, int64_t r, int64_t k0, int64_t k1, float* out) {
    const Layout l = m.layout();
    const uint8_t* row = m.row_data(r);
    const uint16_t* scales = m.scales + r * l.groups_per_row;
    const uint16_t* biases = SYM ? nullptr : m.biases + r * l.groups_per_row;
    const float off = float(1 << (B - 1));
    const __m256 voff = _mm256_set1_ps(off);
    int64_t g = k0 / l.group, k = k0;
    for (int64_t gend = (g + 1) * l.group; k < k1; ++g, gend += l.group) {
        const int64_t end = std::min(k1, gend);
        // vcvtph2ps == f16_to_f32 for every input (incl. NaNs, see core/half.h).
        const float s = _cvtsh_ss(load_u16(scales + g));
        const float b = SYM ? 0.0f : _cvtsh_ss(load_u16(biases + g));
        auto scalar_one = [&](int64_t kk) {
            const int64_t bit = kk * B;
            uint32_t v = row[bit / 8];
            if ((bit % 8) + B > 8) v |= uint32_t(row[bit / 8 + 1]) << 8;
            const float u = float((v >> (bit % 8)) & ((1u << B) - 1));
            out[kk - k0] = SYM ? s * (u - off) : std::fma(s, u, b);
        };
        for (; k < end && (k * B) % 8 != 0; ++k) scalar_one(k);  // reach a byte boundary
        const __m256 vs = _mm256_set1_ps(s), vb = _mm256_set1_ps(b);
        for (; k + 8 <= end; k += 8) {
            const __m256 u = _mm256_cvtepi32_ps(av::codes8<B>(row + k * B / 8));
            const __m256 w = SYM ? _mm256_mul_ps(vs, _mm256_sub_ps(u, voff)) : _mm256_fmadd_ps(vs, u, vb);
            _mm256_storeu_ps(out + (k - k0), w);
        }
        for (; k < end; ++k) scalar_one(k);
    }
}

template <int B>
void int_range_bits(const QMatrix& m, int64_t r, int64_t k0, int64_t k1, float* out) {
    if (m.fmt.symmetric)
        int_range<B, true>(m, r, k0, k1, out);
    else
        int_range<B, false>(m, r, k0, k1, out);
}

}  // namespace

void convert_to_f32_avx2(const void* src, DType dtype, int64_t n, float* out) {
    const auto* p = static_cast<const uint8_t*>(src);
    if (dtype == DType::F32) {
        std::memcpy(out, src, size_t(n) * 4);
        return;
    }
    const bool f16 = dtype == DType::F16;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, f16 ? av::load_f16x8(p + 2 * i) : av::load_bf16x8(p + 2 * i));
    for (; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = f16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
}

void dequantize_row_range_avx2(const QMatrix& m, int64_t r, int64_t k0, int64_t k1, float* out) {
    const uint8_t* row = m.row_data(r);
    if (traits_of(m.fmt).storage == Storage::Elements)
        return convert_to_f32_avx2(row + dtype_size(stored_dtype(m.fmt)) * size_t(k0), stored_dtype(m.fmt), k1 - k0, out);
    switch (m.fmt.bits) {
        case 2: return int_range_bits<2>(m, r, k0, k1, out);
        case 3: return int_range_bits<3>(m, r, k0, k1, out);
        case 4: return int_range_bits<4>(m, r, k0, k1, out);
        case 5: return int_range_bits<5>(m, r, k0, k1, out);
        case 6: return int_range_bits<6>(m, r, k0, k1, out);
        case 7: return int_range_bits<7>(m, r, k0, k1, out);
        default: return int_range_bits<8>(m, r, k0, k1, out);
    }
}

}  // namespace vlmq::qformat::detail
