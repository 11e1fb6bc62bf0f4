#pragma once
// Scalar reference kernels (`--kernels ref`, non-x86 CPUs, and the twins the tests compare against):
// simple loops, fp32 accumulation in index order, weights via dequantize_row_ref.
#include <cstdint>

#include "core/compute.h"
#include "qformat/qmatrix.h"

namespace vlmq::kernels {

void linear_ref(ThreadPool* pool, const float* x, int64_t M, const qformat::QMatrix& w, const float* bias, float* y,
                int64_t ldx, int64_t ldy);
void matmul_f32_ref(ThreadPool* pool, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                    int64_t ldc, int64_t M, int64_t N, int64_t K, bool accumulate);
void matmul_f32_nt_ref(ThreadPool* pool, const float* a, int64_t lda, const float* b, int64_t ldb, float* out,
                       int64_t ldc, int64_t M, int64_t N, int64_t K);

}  // namespace vlmq::kernels
