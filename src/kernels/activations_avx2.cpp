// AVX2 twins of the scalar kernels in activations.cpp. exp comes from exp_avx2.h (shared with the decoder);
// erf is Abramowitz & Stegun 7.1.26, erfc(z) = t P(t) exp(-z^2), t = 1/(1 + p z), |error| <= 1.5e-7.
// Tails (n not a multiple of 8) use the scalar formulas.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/activations.h"
#include "core/avx2_util.h"
#include "core/avx2_exp.h"

namespace vlmq::kernels {

namespace {

using avx2::exp_ps;
using avx2::hmax;
using avx2::hsum;

// erfc(|z|) for z = x / sqrt(2) (the quantity both GELU branches need).
inline __m256 erfc_abs_ps(__m256 z) {
    const __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), z);
    const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_set1_ps(1.061405429f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    p = _mm256_mul_ps(p, t);
    return _mm256_mul_ps(p, exp_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), a), a)));
}

}  // namespace

void gelu_avx2(float* x, int64_t n) {
    const __m256 half = _mm256_set1_ps(0.5f), two = _mm256_set1_ps(2.0f), inv_sqrt2 = _mm256_set1_ps(0.70710678118654752f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256 q = erfc_abs_ps(_mm256_mul_ps(v, inv_sqrt2));
        // 1 + erf(z) is 2 - erfc(|z|) for z >= 0 and erfc(|z|) for z < 0 (no cancellation on the left).
        const __m256 neg = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
        const __m256 one_plus_erf = _mm256_blendv_ps(_mm256_sub_ps(two, q), q, neg);
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(v, half), one_plus_erf));
    }
    gelu_ref(x + i, n - i);
}

void layer_norm_channel_avx2(const float* x, int64_t rows, int64_t channels, const float* w, const float* b, float eps,
                             float* y) {
    const int64_t c8 = channels & ~int64_t(7);
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * channels;
        float* yr = y + r * channels;
        __m256 acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < c8; i += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(xr + i));
        float sum = hsum(acc);
        for (int64_t i = c8; i < channels; ++i) sum += xr[i];
        const float mean = sum / float(channels);
        const __m256 vm = _mm256_set1_ps(mean);
        acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < c8; i += 8) {
            const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(xr + i), vm);
            acc = _mm256_fmadd_ps(d, d, acc);
        }
        float sq = hsum(acc);
        for (int64_t i = c8; i < channels; ++i) sq += (xr[i] - mean) * (xr[i] - mean);
        const float rstd = 1.0f / std::sqrt(sq / float(channels) + eps);
        const __m256 vr = _mm256_set1_ps(rstd);
        for (int64_t i = 0; i < c8; i += 8) {
            const __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + i), vm), vr);
            _mm256_storeu_ps(yr + i, _mm256_fmadd_ps(d, _mm256_loadu_ps(w + i), _mm256_loadu_ps(b + i)));
        }
        for (int64_t i = c8; i < channels; ++i) yr[i] = (xr[i] - mean) * rstd * w[i] + b[i];
    }
}

void softmax_rows_avx2(float* x, int64_t rows, int64_t cols, int64_t ld) {
    const int64_t c8 = cols & ~int64_t(7);
    for (int64_t r = 0; r < rows; ++r) {
        float* xr = x + r * ld;
        __m256 vmax = _mm256_set1_ps(-INFINITY);
        for (int64_t i = 0; i < c8; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(xr + i));
        float mx = hmax(vmax);
        for (int64_t i = c8; i < cols; ++i) mx = std::max(mx, xr[i]);
        const __m256 vm = _mm256_set1_ps(mx);
        __m256 acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < c8; i += 8) {
            const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + i), vm));
            _mm256_storeu_ps(xr + i, e);
            acc = _mm256_add_ps(acc, e);
        }
        float sum = hsum(acc);
        for (int64_t i = c8; i < cols; ++i) {
            xr[i] = std::exp(xr[i] - mx);
            sum += xr[i];
        }
        const float inv = 1.0f / sum;
        const __m256 vi = _mm256_set1_ps(inv);
        for (int64_t i = 0; i < c8; i += 8) _mm256_storeu_ps(xr + i, _mm256_mul_ps(_mm256_loadu_ps(xr + i), vi));
        for (int64_t i = c8; i < cols; ++i) xr[i] *= inv;
    }
}

void add_scaled_channels_avx2(float* x, const float* y, const float* scale, int64_t rows, int64_t channels) {
    const int64_t c8 = channels & ~int64_t(7);
    for (int64_t r = 0; r < rows; ++r) {
        float* xr = x + r * channels;
        const float* yr = y + r * channels;
        for (int64_t i = 0; i < c8; i += 8)
            _mm256_storeu_ps(xr + i, _mm256_fmadd_ps(_mm256_loadu_ps(scale + i), _mm256_loadu_ps(yr + i),
                                                     _mm256_loadu_ps(xr + i)));
        for (int64_t i = c8; i < channels; ++i) xr[i] += scale[i] * yr[i];
    }
}

}  // namespace vlmq::kernels
