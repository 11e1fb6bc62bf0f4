#pragma once
// Matrix products for model code. Weights are a qformat::QMatrix in any format (f32/f16/bf16/int);
// activations and outputs are fp32, row-major.
#include <cstdint>
#include <span>

#include "core/compute.h"
#include "qformat/qmatrix.h"

namespace vlmq::kernels {

// y[m, n] = sum_k x[m, k] * W[n, k] (+ bias[n]);  x: [M, K] (row stride ldx), y: [M, N] (row stride ldy),
// W: N rows x K cols. bias may be null. ldx/ldy of 0 mean K and N.
void linear(const Compute& c, const float* x, int64_t M, const qformat::QMatrix& w, const float* bias, float* y,
            int64_t ldx = 0, int64_t ldy = 0);

// One product of a shared input: y = x W^T (+ bias), y with row stride ldy (0: W's rows).
struct LinearOut {
    const qformat::QMatrix* w = nullptr;
    const float* bias = nullptr;
    float* y = nullptr;
    int64_t ldy = 0;

    int64_t y_stride() const { return ldy ? ldy : w->rows; }
};

// Several products of the same x (all W with the same cols), e.g. q/k/v or gate/up; linear() is the one-product
// case. Results equal separate linear() calls bit for bit, but small-M products share one split over threads
// (and one activation quantization when the weights agree on the int8 path), which halves the hand-offs of a
// decode step.
void linear_batch(const Compute& c, const float* x, int64_t M, std::span<const LinearOut> outs, int64_t ldx = 0);

// C[M, N] = A[M, K] * B[K, N] (+= when accumulate), all fp32 with explicit row strides.
void matmul_f32(const Compute& c, const float* a, int64_t lda, const float* b, int64_t ldb, float* out, int64_t ldc,
                int64_t M, int64_t N, int64_t K, bool accumulate = false);

// C[M, N] = A[M, K] * B[N, K]^T, fp32 with explicit row strides.
void matmul_f32_nt(const Compute& c, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                   int64_t ldc, int64_t M, int64_t N, int64_t K);

// The twins. linear_ref.cpp: simple loops, fp32 accumulation in index order, weights via dequantize_row_ref (one
// product per linear_ref call). linear_avx2.cpp: GEMV for small M (int8 activations x int4/int8 codes, or fp32
// FMA), blocked GEMM above. Strides are resolved (no 0) and the arguments checked by the plain names.
void linear_ref(ThreadPool* pool, const float* x, int64_t M, const qformat::QMatrix& w, const float* bias, float* y,
                int64_t ldx, int64_t ldy);
void matmul_f32_ref(ThreadPool* pool, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                    int64_t ldc, int64_t M, int64_t N, int64_t K, bool accumulate);
void matmul_f32_nt_ref(ThreadPool* pool, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                       int64_t ldc, int64_t M, int64_t N, int64_t K);

namespace detail {

void linear_batch_avx2(const Compute& c, const float* x, int64_t M, std::span<const LinearOut> outs, int64_t ldx);
void matmul_f32_avx2(ThreadPool* pool, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                     int64_t ldc, int64_t M, int64_t N, int64_t K, bool accumulate);
void matmul_f32_nt_avx2(ThreadPool* pool, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                        int64_t ldc, int64_t M, int64_t N, int64_t K);

}  // namespace detail

}  // namespace vlmq::kernels
