#include <cmath>

#include "core/avx2_util.h"
#include "kernels/norm.h"

namespace vlmq::kernels {

void rms_norm_avx2(const float* x, int64_t rows, int64_t n, const float* w, float eps, float* y, int64_t ldx,
                   int64_t ldy) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * ldx;
        float* yr = y + r * ldy;
        __m256 acc = _mm256_setzero_ps();
        int64_t i = 0;
        for (; i + 8 <= n; i += 8) {
            const __m256 v = _mm256_loadu_ps(xr + i);
            acc = _mm256_fmadd_ps(v, v, acc);
        }
        float sq = avx2::hsum(acc);
        for (; i < n; ++i) sq += xr[i] * xr[i];
        const float inv = 1.0f / std::sqrt(sq / float(n) + eps);
        const __m256 vinv = _mm256_set1_ps(inv);
        for (i = 0; i + 8 <= n; i += 8)
            _mm256_storeu_ps(yr + i, _mm256_mul_ps(_mm256_loadu_ps(w + i), _mm256_mul_ps(_mm256_loadu_ps(xr + i), vinv)));
        for (; i < n; ++i) yr[i] = w[i] * (xr[i] * inv);
    }
}

}  // namespace vlmq::kernels
