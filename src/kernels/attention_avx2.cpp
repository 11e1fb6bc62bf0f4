#include <algorithm>
#include <cmath>

#include "kernels/attention.h"
#include "core/avx2_util.h"
#include "core/avx2_exp.h"

namespace vlmq::kernels {

namespace {

float dot(const float* a, const float* b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    float s = avx2::hsum(_mm256_add_ps(acc0, acc1));
    for (; i < n; ++i) s += a[i] * b[i];
    return s;
}

// o[0, 64) = sum_j scores[j] * v_j[0, 64), accumulated in registers in the same order (j ascending, one FMA
// per element and key) as the memory-accumulating loop it replaces, so results are identical.
void pv_64(const float* scores, const float* v, int64_t ldkv, int64_t n, float* o) {
    __m256 acc[8];
    for (auto& x : acc) x = _mm256_setzero_ps();
    for (int64_t j = 0; j < n; ++j) {
        const __m256 p = _mm256_set1_ps(scores[j]);
        const float* vj = v + j * ldkv;
        for (int i = 0; i < 8; ++i) acc[i] = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj + 8 * i), acc[i]);
    }
    for (int i = 0; i < 8; ++i) _mm256_storeu_ps(o + 8 * i, acc[i]);
}

}  // namespace

void softmax_prefix_avx2(float* s, int64_t n, int64_t total, float scale) {
    const __m256 vscale = _mm256_set1_ps(scale);
    __m256 vmx = _mm256_set1_ps(-INFINITY);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) vmx = _mm256_max_ps(vmx, _mm256_mul_ps(_mm256_loadu_ps(s + j), vscale));
    float mx = avx2::hmax(vmx);
    for (; j < n; ++j) mx = std::max(mx, s[j] * scale);
    vmx = _mm256_set1_ps(mx);
    __m256 vsum = _mm256_setzero_ps();
    for (j = 0; j + 8 <= n; j += 8) {
        const __m256 e = avx2::exp_ps(_mm256_fmsub_ps(_mm256_loadu_ps(s + j), vscale, vmx));
        _mm256_storeu_ps(s + j, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = avx2::hsum(vsum);
    for (; j < n; ++j) {
        s[j] = std::exp(s[j] * scale - mx);
        sum += s[j];
    }
    const __m256 vinv = _mm256_set1_ps(1.0f / sum);
    for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(s + j, _mm256_mul_ps(_mm256_loadu_ps(s + j), vinv));
    const float inv = 1.0f / sum;
    for (; j < n; ++j) s[j] *= inv;
    std::fill(s + n, s + total, 0.0f);
}

void attention_avx2(const AttentionArgs& a, int64_t t0, int64_t t1, float* scores) {
    const int64_t d = a.head_dim, group = a.heads / a.kv_heads;
    for (int64_t t = t0; t < t1; ++t) {
        const int64_t r = t / a.heads, h = t % a.heads, g = h / group;
        const int64_t n = a.pos0 + r + 1;
        const float* q = a.q + r * a.ldq + h * d;
        for (int64_t j = 0; j < n; ++j) scores[j] = dot(q, a.k + j * a.ldkv + g * d, d);
        softmax_prefix_avx2(scores, n, n, a.scale);
        float* o = a.out + r * a.ldo + h * d;
        int64_t i0 = 0;
        for (; i0 + 64 <= d; i0 += 64) pv_64(scores, a.v + g * d + i0, a.ldkv, n, o + i0);
        if (i0 == d) continue;
        std::fill(o + i0, o + d, 0.0f);
        for (int64_t j = 0; j < n; ++j) {
            const float* v = a.v + j * a.ldkv + g * d;
            const float p = scores[j];
            const __m256 vp = _mm256_set1_ps(p);
            int64_t i = i0;
            for (; i + 8 <= d; i += 8)
                _mm256_storeu_ps(o + i, _mm256_fmadd_ps(vp, _mm256_loadu_ps(v + i), _mm256_loadu_ps(o + i)));
            for (; i < d; ++i) o[i] += p * v[i];
        }
    }
}

}  // namespace vlmq::kernels
