#pragma once
// 2-D convolutions on channels-last activations (HWC = [H*W, C] row-major), zero "same" padding k/2.
// Weights are fp32 in a tap-major layout so the inner loops run over contiguous channels:
//   depthwise / grouped with one input channel per group: w[(ky*k + kx) * c_out + o], output o reads input
//   channel o / multiplier (PyTorch groups = c_in, weight [c_out, 1, k, k]);
//   dense (groups = 1): w[((ky*k + kx) * c_in + ci) * c_out + o] (PyTorch weight [c_out, c_in, k, k]).
// Each kernel has a scalar twin (*_ref) and an AVX2 twin (*_avx2) that process output rows [oy0, oy1); the
// plain name splits rows over the pool and picks the twin of the kernel tier (core/compute.h).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/compute.h"

namespace vlmq::kernels {

inline int64_t conv_out_size(int64_t in, int k, int stride) { return (in + 2 * (k / 2) - k) / stride + 1; }

// Valid tap range [k0, k1) for output coordinate o: input i = o*stride - k/2 + t must lie in [0, n).
// Shared by the scalar and AVX2 convolutions.
inline void tap_range(int64_t o, int stride, int k, int64_t n, int& k0, int& k1) {
    const int64_t base = o * stride - k / 2;
    k0 = int(std::max<int64_t>(0, -base));
    k1 = int(std::min<int64_t>(k, n - base));
}

struct DepthwiseShape {
    int64_t h = 0, w = 0, c_in = 0;
    int k = 3, stride = 1, multiplier = 1;

    int64_t out_h() const { return conv_out_size(h, k, stride); }
    int64_t out_w() const { return conv_out_size(w, k, stride); }
    int64_t c_out() const { return c_in * multiplier; }
};

struct Conv2dShape {
    int64_t h = 0, w = 0, c_in = 0, c_out = 0;
    int k = 3, stride = 1;

    int64_t out_h() const { return conv_out_size(h, k, stride); }
    int64_t out_w() const { return conv_out_size(w, k, stride); }
};

// y[out_h*out_w, c_out] = conv(x[h*w, c_in]) + bias (bias may be null).
void depthwise_conv_hwc(const Compute& c, const DepthwiseShape& s, const float* x, const float* w, const float* bias,
                        float* y);
void depthwise_conv_hwc_ref(const DepthwiseShape& s, const float* x, const float* w, const float* bias, float* y,
                            int64_t oy0, int64_t oy1);

void conv2d_hwc(const Compute& c, const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y);
void conv2d_hwc_ref(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y, int64_t oy0,
                    int64_t oy1);

void depthwise_conv_hwc_avx2(const DepthwiseShape& s, const float* x, const float* w, const float* bias, float* y,
                             int64_t oy0, int64_t oy1);
void conv2d_hwc_avx2(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y, int64_t oy0,
                     int64_t oy1);

// PyTorch OIHW kernels -> the layouts above. Depthwise: oihw [c_out, 1, k, k]; dense: [c_out, c_in, k, k].
std::vector<float> pack_depthwise_weights(const float* oihw, int64_t c_out, int k);
std::vector<float> pack_conv2d_weights(const float* oihw, int64_t c_out, int64_t c_in, int k);

}  // namespace vlmq::kernels
