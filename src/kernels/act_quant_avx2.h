#pragma once
// AVX2 twin of the per-row loop in act_quant.cpp. Call only when cpu_has_avx2().
#include <cstdint>

namespace vlmq::kernels::detail {

// One row: q[K] (in the Q8Acts element order), block scales d[K/32] and block sums of q, sums[K/32].
void quantize_row_q8_avx2(const float* x, int64_t K, bool nibble_order, int8_t* q, float* d, int32_t* sums);

}  // namespace vlmq::kernels::detail
