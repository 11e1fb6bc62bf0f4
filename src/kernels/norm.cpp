#include "kernels/norm.h"

#include <algorithm>
#include <cmath>


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
    const int64_t grain = std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, n));
    for_row_ranges(
        c, rows, grain,
        [&](int64_t r0, int64_t r1) { rms_norm_ref(x + r0 * ldx, r1 - r0, n, w, eps, y + r0 * ldy, ldx, ldy); },
        [&](int64_t r0, int64_t r1) { rms_norm_avx2(x + r0 * ldx, r1 - r0, n, w, eps, y + r0 * ldy, ldx, ldy); });
}

}  // namespace vlmq::kernels
