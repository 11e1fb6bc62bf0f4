#pragma once
// Matrix-vector kernels for small M (decode): y[m, n] = sum_k x[m, k] W[n, k] (+ bias[n]) for rows
// n in [n0, n1). Internal to kernels::linear, which picks the path and splits N over threads.
#include <cstdint>

#include "kernels/act_quant.h"
#include "qformat/qmatrix.h"

namespace vlmq::kernels::detail {

// The integer path applies: int4/int8 weights whose groups are whole 32-blocks and K % 32 == 0.
bool q8_gemv_supported(const qformat::QMatrix& w);

// Integer dot products of int4/int8 codes with Q8Acts (quantized with group = the weight group and
// nibble_order = bits == 4). Scalar definition; the AVX2 twin sums the same integer block dots with fp32
// scale products in a different order.
void gemv_q8_ref(const qformat::QMatrix& w, const Q8Acts& a, int64_t n0, int64_t n1, const float* bias, float* y,
                 int64_t ldy);
void gemv_q8_avx2(const qformat::QMatrix& w, const Q8Acts& a, int64_t n0, int64_t n1, const float* bias, float* y,
                  int64_t ldy);

// fp32 activations against any weight format: f32/f16/bf16 converted on the fly, int formats dequantized
// one row at a time (bit-identical to dequantize_row_ref), fp32 FMA accumulation.
void gemv_f32_avx2(const qformat::QMatrix& w, const float* x, int64_t M, int64_t ldx, int64_t n0, int64_t n1,
                   const float* bias, float* y, int64_t ldy);

// Small-M fp32 products for matmul_f32_nt (y[m, n] = <x[m, :], b[n, :]>) and matmul_f32
// (out[m, n] (=|+=) sum_k a[m, k] b[k, n]), columns n in [n0, n1).
void gemv_nt_f32_avx2(const float* b, int64_t ldb, int64_t K, const float* x, int64_t M, int64_t ldx, int64_t n0,
                      int64_t n1, float* y, int64_t ldy);
void gemv_nn_f32_avx2(const float* a, int64_t lda, int64_t M, const float* b, int64_t ldb, int64_t K, int64_t n0,
                      int64_t n1, float* out, int64_t ldc, bool accumulate);

}  // namespace vlmq::kernels::detail
