#include "qformat/dequant.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/half.h"
#include "core/cpu_features.h"
#if defined(VLMQ_HAVE_AVX2)
#include "qformat/dequant_avx2.h"
#endif

namespace vlmq::qformat {

namespace {

// Scales may sit unaligned inside a mapped file.
uint16_t load_u16(const uint16_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

void convert_scalar(const void* src, DType dtype, int64_t n, float* out) {
    const auto* p = static_cast<const uint8_t*>(src);
    if (dtype == DType::F32) {
        std::memcpy(out, src, size_t(n) * 4);
        return;
    }
    for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = dtype == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
}

// Same arithmetic as dequantize_row_ref, for any column range.
void row_range_scalar(const QMatrix& m, int64_t r, int64_t k0, int64_t k1, float* out) {
    const Layout l = m.layout();
    const uint8_t* row = m.row_data(r);
    switch (m.fmt.encoding) {
        case Encoding::F32: std::memcpy(out, row + 4 * k0, size_t(k1 - k0) * 4); return;
        case Encoding::F16: convert_scalar(row + 2 * k0, DType::F16, k1 - k0, out); return;
        case Encoding::BF16: convert_scalar(row + 2 * k0, DType::BF16, k1 - k0, out); return;
        case Encoding::Int: break;
    }
    const int bits = m.fmt.bits;
    const uint32_t mask = (1u << bits) - 1;
    const float off = float(1 << (bits - 1));
    for (int64_t k = k0; k < k1; ++k) {
        const int64_t bit = k * bits;
        uint32_t v = row[bit / 8];
        if ((bit % 8) + bits > 8) v |= uint32_t(row[bit / 8 + 1]) << 8;
        const float u = float((v >> (bit % 8)) & mask);
        const int64_t g = r * l.groups_per_row + k / l.group;
        const float s = f16_to_f32(load_u16(m.scales + g));
        out[k - k0] = m.fmt.symmetric ? s * (u - off) : std::fma(s, u, f16_to_f32(load_u16(m.biases + g)));
    }
}

}  // namespace

void dequantize_row_range(const QMatrix& m, int64_t r, int64_t k0, int64_t k1, float* out, bool avx2) {
    assert(0 <= k0 && k0 <= k1 && k1 <= m.cols && 0 <= r && r < m.rows);
#if defined(VLMQ_HAVE_AVX2)
    if (avx2) return detail::dequantize_row_range_avx2(m, r, k0, k1, out);
#endif
    (void)avx2;
    row_range_scalar(m, r, k0, k1, out);
}

void dequantize_rows(const Compute& c, const QMatrix& m, int64_t row0, int64_t nrows, float* out) {
    assert(row0 >= 0 && nrows >= 0 && row0 + nrows <= m.rows);
    if (m.fmt.is_int() && (!m.scales || (!m.fmt.symmetric && !m.biases)))
        fail("dequantize: {} matrix without scales/biases", m.fmt.name());
    const bool avx2 = use_avx2(c);
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, m.cols));
    parallel_for(c.pool, nrows, grain, [&](int64_t a, int64_t b) {
        for (int64_t i = a; i < b; ++i) {
            float* o = out + i * m.cols;
            if (avx2)
                dequantize_row_range(m, row0 + i, 0, m.cols, o, true);
            else
                dequantize_row_ref(m, row0 + i, o);
        }
    });
}

void convert_to_f32(const Compute& c, const void* src, DType dtype, int64_t n, float* out) {
    if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16)
        fail("convert_to_f32: dtype {} is not a float type", dtype_name(dtype));
    const bool avx2 = use_avx2(c);
    constexpr int64_t chunk = 1 << 16;
    const size_t esize = dtype_size(dtype);
    parallel_for(c.pool, (n + chunk - 1) / chunk, 1, [&](int64_t a, int64_t b) {
        const int64_t i0 = a * chunk, i1 = std::min(n, b * chunk);
        const void* s = static_cast<const uint8_t*>(src) + size_t(i0) * esize;
#if defined(VLMQ_HAVE_AVX2)
        if (avx2) return detail::convert_to_f32_avx2(s, dtype, i1 - i0, out + i0);
#endif
        (void)avx2;
        convert_scalar(s, dtype, i1 - i0, out + i0);
    });
}

}  // namespace vlmq::qformat
