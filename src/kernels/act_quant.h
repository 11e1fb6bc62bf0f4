#pragma once
// Activations quantized to int8 per 32-element block (scale = absmax / 127, like ggml's q8_0 but with an
// fp32 scale), the left operand of the integer GEMV for int4/int8 weights (gemv.h).
#include <cstdint>
#include <vector>

#include "core/compute.h"

namespace vlmq::kernels {

struct Q8Acts {
    int64_t M = 0, K = 0;  // K % 32 == 0
    int64_t group = 0;     // weight group length the per-group sums are for (a multiple of 32)
    // Element order inside q. Natural for int8 weights. For int4 weights (element 2j in the low nibble of
    // byte j), each pair of blocks (64 elements) is stored [even elements of block 0, of block 1, odd
    // elements of block 0, of block 1] and a trailing single block [evens, odds], so the low nibbles of a
    // 32-byte weight load meet the even elements and the high nibbles the odd ones.
    bool nibble_order = false;
    std::vector<int8_t> q;     // [M][K]
    std::vector<float> d;      // [M][K/32] block scales
    std::vector<float> gsum;   // [M][K/group]: sum over the group's blocks of d_b * (sum of q in block b)
};

// Position of element k (of K) in a row of Q8Acts::q.
int64_t q8_position(int64_t k, int64_t K, bool nibble_order);

// x: [M, K] with row stride ldx. q = round_half_even(x * (1 / d)), d = max|x| / 127 per block (d = 0 ->
// q = 0). Rows go through the twin of the kernel tier; the twins give identical bytes and scales.
void quantize_acts_q8(const Compute& c, const float* x, int64_t M, int64_t K, int64_t ldx, int64_t group,
                      bool nibble_order, Q8Acts& out);

namespace detail {

// One row: q[K] (in the Q8Acts element order), block scales d[K/32] and block sums of q, sums[K/32].
void quantize_row_q8_ref(const float* x, int64_t K, bool nibble_order, int8_t* q, float* d, int32_t* sums);
void quantize_row_q8_avx2(const float* x, int64_t K, bool nibble_order, int8_t* q, float* d, int32_t* sums);

}  // namespace detail

}  // namespace vlmq::kernels
