#pragma once
// Cache-blocked fp32 GEMM for large M (prefill, 1x1 convolutions, attention):
//   C[m, n] (=|+=) sum_k A[m, k] * B(n, k)  (+ bias[n])
// where B(n, k) comes from a weight matrix in any format (dequantized while packing) or from an fp32
// array stored [K, N] or [N, K]. Internal to kernels::linear / matmul_f32 / matmul_f32_nt.
#include <cstdint>

#include "core/thread_pool.h"
#include "qformat/qmatrix.h"

namespace vlmq::kernels::detail {

struct BOperand {
    enum class Kind { Weights, KN, NK } kind = Kind::Weights;
    const qformat::QMatrix* w = nullptr;  // Weights: B(n, k) = W[n, k]
    const float* b = nullptr;             // KN: B(n, k) = b[k * ldb + n];  NK: b[n * ldb + k]
    int64_t ldb = 0;
};

// AVX2 + FMA; call only when cpu_has_avx2(). accumulate: C += A B (bias then ignored).
void gemm_avx2(ThreadPool* pool, const float* a, int64_t lda, const BOperand& b, float* c, int64_t ldc, int64_t M,
               int64_t N, int64_t K, const float* bias, bool accumulate);

}  // namespace vlmq::kernels::detail
