#include "kernels/act_quant.h"

#include <cassert>
#include <cmath>
#include <vector>

namespace vlmq::kernels {

int64_t q8_position(int64_t k, int64_t K, bool nibble_order) {
    if (!nibble_order) return k;
    const int64_t b = k / 32, j = k % 32;
    if ((b | 1) < K / 32) {  // block b has a partner in its pair
        const int64_t base = (b & ~int64_t(1)) * 32;
        return base + (j % 2) * 32 + (b & 1) * 16 + j / 2;
    }
    return b * 32 + (j % 2) * 16 + j / 2;
}

namespace detail {

void quantize_row_q8_ref(const float* xr, int64_t K, bool nibble_order, int8_t* q, float* d, int32_t* sums) {
    for (int64_t b = 0; b < K / 32; ++b) {
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(xr[b * 32 + j]));
        d[b] = amax / 127.0f;
        const float id = d[b] != 0.0f ? 1.0f / d[b] : 0.0f;
        int32_t sum = 0;
        for (int j = 0; j < 32; ++j) {
            const float y = std::fmin(std::fmax(xr[b * 32 + j] * id, -127.0f), 127.0f);
            const int8_t v = int8_t(std::nearbyint(y));
            q[q8_position(b * 32 + j, K, nibble_order)] = v;
            sum += v;
        }
        sums[b] = sum;
    }
}

}  // namespace detail

void quantize_acts_q8(const Compute& c, const float* x, int64_t M, int64_t K, int64_t ldx, int64_t group,
                      bool nibble_order, Q8Acts& out) {
    assert(K % 32 == 0 && group % 32 == 0 && K % group == 0);
    out.M = M;
    out.K = K;
    out.group = group;
    out.nibble_order = nibble_order;
    out.q.resize(size_t(M * K));
    out.d.resize(size_t(M * K / 32));
    out.gsum.resize(size_t(M * (K / group)));
    const int64_t nb = K / 32, ng = K / group, per = group / 32;
    std::vector<int32_t> sums(static_cast<size_t>(nb));
    const KernelTier tier = tier_of(c);
    for (int64_t m = 0; m < M; ++m) {
        const float* xr = x + m * ldx;
        int8_t* q = out.q.data() + m * K;
        float* d = out.d.data() + m * nb;
        by_tier(
            tier, [&] { detail::quantize_row_q8_ref(xr, K, nibble_order, q, d, sums.data()); },
            [&] { detail::quantize_row_q8_avx2(xr, K, nibble_order, q, d, sums.data()); });
        for (int64_t g = 0; g < ng; ++g) {
            float s = 0.0f;
            for (int64_t b = g * per; b < (g + 1) * per; ++b) s += d[b] * float(sums[size_t(b)]);
            out.gsum[size_t(m * ng + g)] = s;
        }
    }
}

}  // namespace vlmq::kernels
