#include "core/avx2_util.h"
#include "kernels/rope.h"

namespace vlmq::kernels {

void rope_avx2(float* x, int64_t rows, int64_t heads, int64_t head_dim, int64_t ld, const float* cos,
               const float* sin) {
    const int64_t half = head_dim / 2;
    for (int64_t r = 0; r < rows; ++r) {
        const float* cr = cos + r * half;
        const float* sr = sin + r * half;
        for (int64_t h = 0; h < heads; ++h) {
            float* v = x + r * ld + h * head_dim;
            int64_t i = 0;
            for (; i + 8 <= half; i += 8) {
                const __m256 x1 = _mm256_loadu_ps(v + i), x2 = _mm256_loadu_ps(v + half + i);
                const __m256 c = _mm256_loadu_ps(cr + i), s = _mm256_loadu_ps(sr + i);
                _mm256_storeu_ps(v + i, _mm256_fmsub_ps(x1, c, _mm256_mul_ps(x2, s)));
                _mm256_storeu_ps(v + half + i, _mm256_fmadd_ps(x2, c, _mm256_mul_ps(x1, s)));
            }
            for (; i < half; ++i) {
                const float x1 = v[i], x2 = v[i + half];
                v[i] = x1 * cr[i] - x2 * sr[i];
                v[i + half] = x2 * cr[i] + x1 * sr[i];
            }
        }
    }
}

}  // namespace vlmq::kernels
