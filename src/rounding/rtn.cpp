#include "rounding/rtn.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

#include "qformat/codes.h"
#include "qformat/dequant.h"
#include "rounding/rtn_impl.h"

namespace vlmq::rounding {

GroupScale rtn_group_params(const float* w, int64_t n, int bits, bool symmetric) {
    assert(n > 0 && bits >= 2 && bits <= 8);
    bool nan = false;
    if (symmetric) {
        float amax = 0.0f, m = 0.0f;
        for (int64_t i = 0; i < n; ++i) {
            const float v = w[i];
            nan |= v != v;
            if (std::fabs(v) > amax) {
                amax = std::fabs(v);
                m = v;
            }
        }
        return detail::sym_params(m, bits, nan);
    }
    float mn = w[0], mx = w[0];
    for (int64_t i = 0; i < n; ++i) {
        const float v = w[i];
        nan |= v != v;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    return detail::aff_params(mn, mx, bits, nan);
}

void quantize_group(const float* w, int64_t n, int bits, bool symmetric, GroupScale p, uint8_t* codes) {
    const float s = f16_to_f32(p.scale);
    if (symmetric) {
        for (int64_t i = 0; i < n; ++i) codes[i] = detail::code_sym(w[i], s, bits);
    } else {
        const float m = f16_to_f32(p.bias);
        for (int64_t i = 0; i < n; ++i) codes[i] = detail::code_aff(w[i], s, m, bits);
    }
}

namespace detail {

void rtn_rows_ref(const void* src, DType dt, const qformat::QMatrixMut& dst, int64_t r0, int64_t r1) {
    const qformat::Layout l = dst.layout();
    const int64_t cols = dst.cols;
    const size_t esize = dtype_size(dt);
    std::vector<float> row(static_cast<size_t>(cols));
    std::vector<uint8_t> codes(static_cast<size_t>(cols));
    for (int64_t r = r0; r < r1; ++r) {
        const auto* s = static_cast<const uint8_t*>(src) + size_t(r * cols) * esize;
        auto* d = static_cast<uint8_t*>(dst.data) + r * l.row_bytes;
        qformat::detail::convert_to_f32_ref(s, dt, cols, row.data());
        if (qformat::traits_of(dst.fmt).storage == qformat::Storage::Elements) {
            const DType out = qformat::stored_dtype(dst.fmt);
            if (out == DType::F32) {
                std::memcpy(d, row.data(), size_t(cols) * 4);
                continue;
            }
            for (int64_t j = 0; j < cols; ++j) {
                const uint16_t h = out == DType::F16 ? f32_to_f16(row[size_t(j)]) : f32_to_bf16(row[size_t(j)]);
                std::memcpy(d + 2 * j, &h, 2);
            }
            continue;
        }
        for (int64_t g = 0; g < l.groups_per_row; ++g) {
            const float* w = row.data() + g * l.group;
            GroupScale p;
            try {
                p = rtn_group_params(w, l.group, dst.fmt.bits, dst.fmt.symmetric);
            } catch (const Error& e) {
                fail("row {}, group {}: {}", r, g, e.what());
            }
            dst.scales[r * l.groups_per_row + g] = p.scale;
            if (!dst.fmt.symmetric) dst.biases[r * l.groups_per_row + g] = p.bias;
            quantize_group(w, l.group, dst.fmt.bits, dst.fmt.symmetric, p, codes.data() + g * l.group);
        }
        qformat::pack_codes(codes.data(), cols, dst.fmt.bits, d);
    }
}

}  // namespace detail

void quantize_rtn_rows(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst,
                       int64_t row0, int64_t nrows) {
    if (src_dtype != DType::F32 && src_dtype != DType::F16 && src_dtype != DType::BF16)
        fail("rtn: source dtype {} is not a float type", dtype_name(src_dtype));
    assert(row0 >= 0 && nrows >= 0 && row0 + nrows <= dst.rows);
    (void)dst.layout();  // validates the format against cols
    if (dst.fmt.is_int() && (!dst.scales || (!dst.fmt.symmetric && !dst.biases)))
        fail("rtn: {} destination without scales/biases", dst.fmt.name());
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, dst.cols));
    for_row_ranges(
        c, nrows, grain, [&](int64_t a, int64_t b) { detail::rtn_rows_ref(src, src_dtype, dst, row0 + a, row0 + b); },
        [&](int64_t a, int64_t b) { detail::rtn_rows_avx2(src, src_dtype, dst, row0 + a, row0 + b); });
}

void quantize_rtn(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst) {
    quantize_rtn_rows(c, src, src_dtype, dst, 0, dst.rows);
}

}  // namespace vlmq::rounding
