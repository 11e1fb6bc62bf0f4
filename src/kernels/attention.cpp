#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/linear.h"

namespace vlmq::kernels {

namespace {

constexpr int64_t kRowBlock = 64;

void softmax_prefix(KernelTier tier, float* s, int64_t n, int64_t total, float scale) {
    by_tier(
        tier, [&] { softmax_prefix_ref(s, n, total, scale); }, [&] { softmax_prefix_avx2(s, n, total, scale); });
}

void attention_gemm(const Compute& c, const AttentionArgs& a, KernelTier tier) {
    const int64_t d = a.head_dim, group = a.heads / a.kv_heads;
    const int64_t blocks = (a.rows + kRowBlock - 1) / kRowBlock;
    // Each task runs its GEMMs on one thread; the tasks themselves are spread over the pool.
    Compute serial = c;
    serial.pool = nullptr;
    parallel_for(c.pool, blocks * a.heads, 1, [&](int64_t t0, int64_t t1) {
        std::vector<float> s;
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t b = t / a.heads, h = t % a.heads, g = h / group;
            const int64_t r0 = b * kRowBlock, r1 = std::min(a.rows, r0 + kRowBlock), m = r1 - r0;
            const int64_t keys = a.pos0 + r1;  // the block's last row sees this many keys
            s.resize(static_cast<size_t>(m * keys));
            matmul_f32_nt(serial, a.q + r0 * a.ldq + h * d, a.ldq, a.k + g * d, a.ldkv, s.data(), keys, m, keys, d);
            for (int64_t i = 0; i < m; ++i) softmax_prefix(tier, s.data() + i * keys, a.pos0 + r0 + i + 1, keys, a.scale);
            matmul_f32(serial, s.data(), keys, a.v + g * d, a.ldkv, a.out + r0 * a.ldo + h * d, a.ldo, m, d, keys);
        }
    });
}

}  // namespace

void softmax_prefix_ref(float* s, int64_t n, int64_t total, float scale) {
    float mx = -INFINITY;
    for (int64_t j = 0; j < n; ++j) mx = std::max(mx, s[j] * scale);
    float sum = 0.0f;
    for (int64_t j = 0; j < n; ++j) {
        s[j] = std::exp(s[j] * scale - mx);
        sum += s[j];
    }
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j < n; ++j) s[j] *= inv;
    std::fill(s + n, s + total, 0.0f);
}

void attention_ref(const AttentionArgs& a, int64_t t0, int64_t t1, float* scores) {
    const int64_t d = a.head_dim, group = a.heads / a.kv_heads;
    for (int64_t t = t0; t < t1; ++t) {
        const int64_t r = t / a.heads, h = t % a.heads, g = h / group;
        const int64_t n = a.pos0 + r + 1;
        const float* q = a.q + r * a.ldq + h * d;
        for (int64_t j = 0; j < n; ++j) {
            const float* k = a.k + j * a.ldkv + g * d;
            float dot = 0.0f;
            for (int64_t i = 0; i < d; ++i) dot += q[i] * k[i];
            scores[j] = dot;
        }
        softmax_prefix_ref(scores, n, n, a.scale);
        float* o = a.out + r * a.ldo + h * d;
        std::fill(o, o + d, 0.0f);
        for (int64_t j = 0; j < n; ++j) {
            const float* v = a.v + j * a.ldkv + g * d;
            const float p = scores[j];
            for (int64_t i = 0; i < d; ++i) o[i] += p * v[i];
        }
    }
}

void attention(const Compute& c, const AttentionArgs& a) {
    const KernelTier tier = tier_of(c);
    if (tier != KernelTier::Scalar && a.rows >= kAttentionGemmRows) return attention_gemm(c, a, tier);
    const int64_t tasks = a.rows * a.heads;
    const int64_t keys = a.pos0 + a.rows;
    // About 64k multiply-adds per chunk: decode steps split over heads.
    const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, keys * a.head_dim));
    parallel_for(c.pool, tasks, grain, [&](int64_t t0, int64_t t1) {
        std::vector<float> scores(static_cast<size_t>(keys));
        by_tier(
            tier, [&] { attention_ref(a, t0, t1, scores.data()); },
            [&] { attention_avx2(a, t0, t1, scores.data()); });
    });
}

}  // namespace vlmq::kernels
