#pragma once
// RMSNorm of the Qwen2 decoder (fp32, as transformers' Qwen2RMSNorm): per row of `n` values,
// y = x / sqrt(mean(x^2) + eps) * w. The plain name splits rows over the pool and picks the AVX2 twin
// unless Compute::reference is set.
#include <cstdint>

#include "core/compute.h"

namespace vlmq::kernels {

// x, y: [rows, n] with row strides ldx / ldy (0 = n). y may equal x.
void rms_norm(const Compute& c, const float* x, int64_t rows, int64_t n, const float* w, float eps, float* y,
              int64_t ldx = 0, int64_t ldy = 0);
void rms_norm_ref(const float* x, int64_t rows, int64_t n, const float* w, float eps, float* y, int64_t ldx,
                  int64_t ldy);
#if defined(VLMQ_HAVE_AVX2)
void rms_norm_avx2(const float* x, int64_t rows, int64_t n, const float* w, float eps, float* y, int64_t ldx,
                   int64_t ldy);
#endif

}  // namespace vlmq::kernels
