#include "qformat/dequant.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/half.h"

namespace vlmq::qformat {

namespace {

// Scales may sit unaligned inside a mapped file.
uint16_t load_u16(const uint16_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

}  // namespace

namespace detail {

void convert_to_f32_ref(const void* src, DType dtype, int64_t n, float* out) {
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
void dequantize_row_range_ref(const QMatrix& m, int64_t r, int64_t k0, int64_t k1, float* out) {
    const Layout l = m.layout();
    const uint8_t* row = m.row_data(r);
    if (traits_of(m.fmt).storage == Storage::Elements)
        return convert_to_f32_ref(row + dtype_size(stored_dtype(m.fmt)) * size_t(k0), stored_dtype(m.fmt), k1 - k0, out);
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

}  // namespace detail

void dequantize_row_range(const Compute& c, const QMatrix& m, int64_t r, int64_t k0, int64_t k1, float* out) {
    assert(0 <= k0 && k0 <= k1 && k1 <= m.cols && 0 <= r && r < m.rows);
    by_tier(
        tier_of(c), [&] { detail::dequantize_row_range_ref(m, r, k0, k1, out); },
        [&] { detail::dequantize_row_range_avx2(m, r, k0, k1, out); });
}

void dequantize_rows(const Compute& c, const QMatrix& m, int64_t row0, int64_t nrows, float* out) {
    assert(row0 >= 0 && nrows >= 0 && row0 + nrows <= m.rows);
    if (m.fmt.is_int() && (!m.scales || (!m.fmt.symmetric && !m.biases)))
        fail("dequantize: {} matrix without scales/biases", m.fmt.name());
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, m.cols));
    for_row_ranges(
        c, nrows, grain,
        [&](int64_t a, int64_t b) {
            for (int64_t i = a; i < b; ++i) dequantize_row_ref(m, row0 + i, out + i * m.cols);
        },
        [&](int64_t a, int64_t b) {
            for (int64_t i = a; i < b; ++i) detail::dequantize_row_range_avx2(m, row0 + i, 0, m.cols, out + i * m.cols);
        });
}

void convert_to_f32(const Compute& c, const void* src, DType dtype, int64_t n, float* out) {
    if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16)
        fail("convert_to_f32: dtype {} is not a float type", dtype_name(dtype));
    constexpr int64_t chunk = 1 << 16;
    const size_t esize = dtype_size(dtype);
    const auto from = [&](int64_t a) { return static_cast<const uint8_t*>(src) + size_t(a * chunk) * esize; };
    const auto count = [&](int64_t a, int64_t b) { return std::min(n, b * chunk) - a * chunk; };
    for_row_ranges(
        c, (n + chunk - 1) / chunk, 1,
        [&](int64_t a, int64_t b) { detail::convert_to_f32_ref(from(a), dtype, count(a, b), out + a * chunk); },
        [&](int64_t a, int64_t b) { detail::convert_to_f32_avx2(from(a), dtype, count(a, b), out + a * chunk); });
}

}  // namespace vlmq::qformat
