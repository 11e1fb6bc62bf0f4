#include "kernels/norm.h"

#include <algorithm>
#include <cmath>

#include "core/cpu_features.h"

namespace vlmq::kernels {

void rms_norm_ref(const float* x, int64_t rows, int64_t n, const float* w, float eps, float* y, int64_t ldx,
                  int64_t ldy) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * ldx;
        float* yr = y + r * ldy;
        float sq = 0.0f;
        for (int64_t i = 0; i < n; ++i) sq += xr[i] * xr[i];
        const float inv = 1.0f / std::sqrt(sq / float(n) + eps);
        for (int64_t i = 0; i < n; ++i) yr[i] = w[i] * (xr[i] * inv);
    }
}

void rms_norm(const Compute& c, const float* x, int64_t rows, int64_t n, const float* w, float eps, float* y,
              int64_t ldx, int64_t ldy) {
    if (ldx == 0) ldx = n;
    if (ldy == 0) ldy = n;
#if defined(VLMQ_HAVE_AVX2)
    const bool simd = use_avx2(c);
#endif
    const int64_t grain = std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, n));
    parallel_for(c.pool, rows, grain, [&](int64_t r0, int64_t r1) {
#if defined(VLMQ_HAVE_AVX2)
        if (simd) return rms_norm_avx2(x + r0 * ldx, r1 - r0, n, w, eps, y + r0 * ldy, ldx, ldy);
#endif
        rms_norm_ref(x + r0 * ldx, r1 - r0, n, w, eps, y + r0 * ldy, ldx, ldy);
    });
}

}  // namespace vlmq::kernels
