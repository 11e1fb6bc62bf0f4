#pragma once
// RMSNorm of the Qwen2 decoder (fp32, as transformers' Qwen2RMSNorm): per row of `n` values,
// y = x / sqrt(mean(x^2) + eps) * w. The plain name splits rows over the pool and picks the twin of the
// kernel tier (core/compute.h).
#include <cstdint>

#include "core/compute.h"

namespace vlmq::kernels {

// x, y: [rows, n] with row strides ldx / ldy (0 = n). y may equal x.
void rms_norm(const Compute& c, const float* x, int64_t rows, int64_t n, const float* w, float eps, float* y,
              int64_t ldx = 0, int64_t ldy = 0);
void rms_norm_ref(const float* x, int64_t rows, int64_t n, const float* w, float eps, float* y, int64_t ldx,
                  int64_t ldy);
void rms_norm_avx2(const float* x, int64_t rows, int64_t n, const float* w, float eps, float* y, int64_t ldx,
                   int64_t ldy);

}  // namespace vlmq::kernels
