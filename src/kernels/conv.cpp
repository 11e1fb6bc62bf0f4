#include "kernels/conv.h"

#include <algorithm>


namespace vlmq::kernels {

namespace {

// Rows per task: about 64k output values, so small maps are not split into tiny jobs.
int64_t row_grain(int64_t row_values) { return std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, row_values)); }

}  // namespace

void depthwise_conv_hwc_ref(const DepthwiseShape& s, const float* x, const float* w, const float* bias, float* y,
                            int64_t oy0, int64_t oy1) {
    const int64_t ow = s.out_w(), co = s.c_out();
    const int k = s.k, m = s.multiplier;
    for (int64_t oy = oy0; oy < oy1; ++oy) {
        int ky0, ky1;
        tap_range(oy, s.stride, k, s.h, ky0, ky1);
        for (int64_t ox = 0; ox < ow; ++ox) {
            int kx0, kx1;
            tap_range(ox, s.stride, k, s.w, kx0, kx1);
            float* out = y + (oy * ow + ox) * co;
            for (int64_t o = 0; o < co; ++o) out[o] = bias ? bias[o] : 0.0f;
            for (int ky = ky0; ky < ky1; ++ky) {
                const int64_t iy = oy * s.stride - k / 2 + ky;
                for (int kx = kx0; kx < kx1; ++kx) {
                    const int64_t ix = ox * s.stride - k / 2 + kx;
                    const float* in = x + (iy * s.w + ix) * s.c_in;
                    const float* wt = w + int64_t(ky * k + kx) * co;
                    if (m == 1) {
                        for (int64_t o = 0; o < co; ++o) out[o] += in[o] * wt[o];
                    } else {
                        for (int64_t o = 0; o < co; ++o) out[o] += in[o / m] * wt[o];
                    }
                }
            }
        }
    }
}

void conv2d_hwc_ref(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y, int64_t oy0,
                    int64_t oy1) {
    const int64_t ow = s.out_w(), co = s.c_out, ci = s.c_in;
    const int k = s.k;
    for (int64_t oy = oy0; oy < oy1; ++oy) {
        int ky0, ky1;
        tap_range(oy, s.stride, k, s.h, ky0, ky1);
        for (int64_t ox = 0; ox < ow; ++ox) {
            int kx0, kx1;
            tap_range(ox, s.stride, k, s.w, kx0, kx1);
            float* out = y + (oy * ow + ox) * co;
            for (int64_t o = 0; o < co; ++o) out[o] = bias ? bias[o] : 0.0f;
            for (int ky = ky0; ky < ky1; ++ky) {
                const int64_t iy = oy * s.stride - k / 2 + ky;
                for (int kx = kx0; kx < kx1; ++kx) {
                    const int64_t ix = ox * s.stride - k / 2 + kx;
                    const float* in = x + (iy * s.w + ix) * ci;
                    const float* wt = w + int64_t(ky * k + kx) * ci * co;
                    for (int64_t i = 0; i < ci; ++i)
                        for (int64_t o = 0; o < co; ++o) out[o] += in[i] * wt[i * co + o];
                }
            }
        }
    }
}

void depthwise_conv_hwc(const Compute& c, const DepthwiseShape& s, const float* x, const float* w, const float* bias,
                        float* y) {
    for_row_ranges(
        c, s.out_h(), row_grain(s.out_w() * s.c_out()),
        [&](int64_t r0, int64_t r1) { depthwise_conv_hwc_ref(s, x, w, bias, y, r0, r1); },
        [&](int64_t r0, int64_t r1) { depthwise_conv_hwc_avx2(s, x, w, bias, y, r0, r1); });
}

void conv2d_hwc(const Compute& c, const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y) {
    for_row_ranges(
        c, s.out_h(), row_grain(s.out_w() * s.c_out),
        [&](int64_t r0, int64_t r1) { conv2d_hwc_ref(s, x, w, bias, y, r0, r1); },
        [&](int64_t r0, int64_t r1) { conv2d_hwc_avx2(s, x, w, bias, y, r0, r1); });
}

std::vector<float> pack_depthwise_weights(const float* oihw, int64_t c_out, int k) {
    const int64_t taps = int64_t(k) * k;
    std::vector<float> out(static_cast<size_t>(taps * c_out));
    for (int64_t o = 0; o < c_out; ++o)
        for (int64_t t = 0; t < taps; ++t) out[size_t(t * c_out + o)] = oihw[o * taps + t];
    return out;
}

std::vector<float> pack_conv2d_weights(const float* oihw, int64_t c_out, int64_t c_in, int k) {
    const int64_t taps = int64_t(k) * k;
    std::vector<float> out(static_cast<size_t>(taps * c_in * c_out));
    for (int64_t o = 0; o < c_out; ++o)
        for (int64_t i = 0; i < c_in; ++i)
            for (int64_t t = 0; t < taps; ++t) out[size_t((t * c_in + i) * c_out + o)] = oihw[(o * c_in + i) * taps + t];
    return out;
}

}  // namespace vlmq::kernels
