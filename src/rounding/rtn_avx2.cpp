// AVX2 twin of rtn.cpp's row loop. Same IEEE operations per element as rounding::detail (division by
// the stored scale, clamp, round-half-even), so the output matches the scalar path byte for byte.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/avx2_util.h"
#include "qformat/codes.h"
#include "qformat/dequant.h"
#include "rounding/rtn_impl.h"

namespace vlmq::rounding::detail {

namespace av = avx2;
namespace {

void row_to_half(const float* w, int64_t n, bool f16, uint8_t* d) {
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m256 x = _mm256_loadu_ps(w + j);
        if (f16)
            av::store_f16x8(d + 2 * j, x);
        else
            av::store_bf16x8(d + 2 * j, x);
    }
    for (; j < n; ++j) {
        const uint16_t h = f16 ? f32_to_f16(w[j]) : f32_to_bf16(w[j]);
        std::memcpy(d + 2 * j, &h, 2);
    }
}

// F16C conversions: same bits as vlmq::f32_to_f16 / f16_to_f32, several times faster.
uint16_t to_f16(float x) { return _cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }

GroupScale group_params(const float* w, int64_t n, int bits, bool symmetric) {
    __m256 vmax = _mm256_set1_ps(-INFINITY), vmin = _mm256_set1_ps(INFINITY);
    __m256 bad = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m256 x = _mm256_loadu_ps(w + j);
        vmax = _mm256_max_ps(vmax, x);
        vmin = _mm256_min_ps(vmin, x);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
    }
    float mx = av::hmax(vmax), mn = av::hmin(vmin);
    bool nan = _mm256_movemask_ps(bad) != 0;
    for (; j < n; ++j) {
        nan |= w[j] != w[j];
        mx = w[j] > mx ? w[j] : mx;
        mn = w[j] < mn ? w[j] : mn;
    }
    if (!symmetric) return aff_params(mn, mx, bits, nan, to_f16);
    // m = whichever extreme has the larger magnitude. A branch here would mispredict on half the groups
    // (random signs), so select with a blend; only the rare +a/-a tie branches (the scalar rule takes
    // the first of them).
    const __m128 vmx = _mm_set_ss(mx), vmn = _mm_set_ss(mn);
    float m = _mm_cvtss_f32(_mm_blendv_ps(vmn, vmx, _mm_cmpge_ss(vmx, _mm_sub_ss(_mm_setzero_ps(), vmn))));
    if (mx == -mn && mx != 0.0f) [[unlikely]] {
        for (int64_t i = 0; i < n; ++i)
            if (std::fabs(w[i]) == mx) {
                m = w[i];
                break;
            }
    }
    return sym_params(nan ? NAN : m, bits, nan, to_f16);
}

// Codes of one group into codes[0..n), 32 or 8 at a time, scalar tail.
void group_codes(const float* w, int64_t n, int bits, bool symmetric, GroupScale p, uint8_t* codes) {
    const float s = _cvtsh_ss(p.scale);
    const float m = symmetric ? 0.0f : _cvtsh_ss(p.bias);
    if (s == 0.0f) {
        std::memset(codes, symmetric ? 1 << (bits - 1) : 0, size_t(n));
        return;
    }
    const float off = symmetric ? float(1 << (bits - 1)) : 0.0f;
    const float lo = symmetric ? -off : 0.0f, hi = symmetric ? off - 1.0f : float((1 << bits) - 1);
    const __m256 vs = _mm256_set1_ps(s), vm = _mm256_set1_ps(m), voff = _mm256_set1_ps(off);
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    auto code8 = [&](const float* x) {
        __m256 v = _mm256_loadu_ps(x);
        if (!symmetric) v = _mm256_sub_ps(v, vm);
        __m256 y = _mm256_min_ps(_mm256_max_ps(_mm256_div_ps(v, vs), vlo), vhi);
        y = _mm256_round_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        return _mm256_cvttps_epi32(_mm256_add_ps(y, voff));
    };
    int64_t j = 0;
    for (; j + 32 <= n; j += 32)
        av::store_u8x32(codes + j, code8(w + j), code8(w + j + 8), code8(w + j + 16), code8(w + j + 24));
    for (; j + 8 <= n; j += 8) av::store_u8x8(codes + j, code8(w + j));
    for (; j < n; ++j) codes[j] = symmetric ? code_sym(w[j], s, bits) : code_aff(w[j], s, m, bits);
}

// 4-bit codes -> nibbles (element 2j low, 2j+1 high), 32 codes per step.
void pack4(const uint8_t* codes, int64_t n, uint8_t* out) {
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + j));
        const __m256i y = _mm256_and_si256(_mm256_or_si256(x, _mm256_srli_epi16(x, 4)), _mm256_set1_epi16(0xff));
        const __m128i b = _mm_packus_epi16(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j / 2), b);
    }
    if (j < n) qformat::pack_codes(codes + j, n - j, 4, out + j / 2);
}

}  // namespace

void rtn_rows_avx2(const void* src, DType dt, const qformat::QMatrixMut& dst, int64_t r0, int64_t r1) {
    const qformat::Layout l = dst.layout();
    const int64_t cols = dst.cols;
    const int bits = dst.fmt.bits;
    const size_t esize = dtype_size(dt);
    std::vector<float> buf(dt == DType::F32 ? 0 : size_t(cols));
    std::vector<uint8_t> codes(dst.fmt.is_int() && bits != 8 ? size_t(cols) : 0);
    for (int64_t r = r0; r < r1; ++r) {
        const auto* s = static_cast<const uint8_t*>(src) + size_t(r * cols) * esize;
        auto* d = static_cast<uint8_t*>(dst.data) + r * l.row_bytes;
        const float* row = reinterpret_cast<const float*>(s);
        if (dt != DType::F32) {
            qformat::detail::convert_to_f32_avx2(s, dt, cols, buf.data());
            row = buf.data();
        }
        if (qformat::traits_of(dst.fmt).storage == qformat::Storage::Elements) {
            const DType out = qformat::stored_dtype(dst.fmt);
            if (out == DType::F32)
                std::memcpy(d, row, size_t(cols) * 4);
            else
                row_to_half(row, cols, out == DType::F16, d);
            continue;
        }
        uint8_t* c = bits == 8 ? d : codes.data();
        for (int64_t g = 0; g < l.groups_per_row; ++g) {
            const float* w = row + g * l.group;
            GroupScale p;
            try {
                p = group_params(w, l.group, bits, dst.fmt.symmetric);
            } catch (const Error& e) {
                fail("row {}, group {}: {}", r, g, e.what());
            }
            dst.scales[r * l.groups_per_row + g] = p.scale;
            if (!dst.fmt.symmetric) dst.biases[r * l.groups_per_row + g] = p.bias;
            group_codes(w, l.group, bits, dst.fmt.symmetric, p, c + g * l.group);
        }
        if (bits == 4)
            pack4(codes.data(), cols, d);
        else if (bits != 8)
            qformat::pack_codes(codes.data(), cols, bits, d);
    }
}

}  // namespace vlmq::rounding::detail
