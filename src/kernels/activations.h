#pragma once
// Element-wise and per-row operations of the vision tower on channels-last activations ([rows, C] row-major):
// exact (erf) GELU, LayerNormChannel, row softmax, per-channel scale/residual, and the small SE helpers.
// Hot kernels have a scalar twin (*_ref) and an AVX2 version (*_avx2) working on a range; the plain name
// splits the work over the pool and picks the twin of the kernel tier (core/compute.h).
#include <cstdint>

#include "core/compute.h"

namespace vlmq::kernels {

// x = x * 0.5 * (1 + erf(x / sqrt(2))), in place. The AVX2 erf is within 5e-7 of std::erf.
void gelu(const Compute& c, float* x, int64_t n);
void gelu_ref(float* x, int64_t n);

// Per row over channels: y = (x - mean) / sqrt(var + eps) * w + b, biased variance (FastViT's
// LayerNormChannel). y may equal x.
void layer_norm_channel(const Compute& c, const float* x, int64_t rows, int64_t channels, const float* w,
                        const float* b, float eps, float* y);
void layer_norm_channel_ref(const float* x, int64_t rows, int64_t channels, const float* w, const float* b, float eps,
                            float* y);

// Softmax of each of `rows` rows of `cols` values (row stride ld), in place.
void softmax_rows(const Compute& c, float* x, int64_t rows, int64_t cols, int64_t ld);
void softmax_rows_ref(float* x, int64_t rows, int64_t cols, int64_t ld);

// x[r, ch] += scale[ch] * y[r, ch]  (residual add through a per-channel layer scale).
void add_scaled_channels(const Compute& c, float* x, const float* y, const float* scale, int64_t rows,
                         int64_t channels);
void add_scaled_channels_ref(float* x, const float* y, const float* scale, int64_t rows, int64_t channels);

void gelu_avx2(float* x, int64_t n);
void layer_norm_channel_avx2(const float* x, int64_t rows, int64_t channels, const float* w, const float* b, float eps,
                             float* y);
void softmax_rows_avx2(float* x, int64_t rows, int64_t cols, int64_t ld);
void add_scaled_channels_avx2(float* x, const float* y, const float* scale, int64_t rows, int64_t channels);

// Small scalar helpers (squeeze-excite on [rows, C]; not hot).
void channel_mean(const float* x, int64_t rows, int64_t channels, float* mean);  // mean over rows
void scale_channels(const Compute& c, float* x, const float* scale, int64_t rows, int64_t channels);
void relu(float* x, int64_t n);
void sigmoid(float* x, int64_t n);

// Layout changes: [c, hw] planar <-> [hw, c] channels-last.
void chw_to_hwc(const float* chw, int64_t channels, int64_t hw, float* hwc);
void hwc_to_chw(const float* hwc, int64_t hw, int64_t channels, float* chw);

}  // namespace vlmq::kernels
