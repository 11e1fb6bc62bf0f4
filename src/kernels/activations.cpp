#include "kernels/activations.h"

#include <algorithm>
#include <cmath>
#include <vector>


namespace vlmq::kernels {

namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;

// Rows per task for per-row kernels: about 32k values per task.
int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, cols)); }

}  // namespace

void gelu_ref(float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] = x[i] * 0.5f * (1.0f + std::erf(x[i] * kInvSqrt2));
}

void layer_norm_channel_ref(const float* x, int64_t rows, int64_t channels, const float* w, const float* b, float eps,
                            float* y) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * channels;
        float* yr = y + r * channels;
        double sum = 0;
        for (int64_t i = 0; i < channels; ++i) sum += xr[i];
        const float mean = float(sum / double(channels));
        double sq = 0;
        for (int64_t i = 0; i < channels; ++i) sq += double(xr[i] - mean) * double(xr[i] - mean);
        const float rstd = float(1.0 / std::sqrt(sq / double(channels) + double(eps)));
        for (int64_t i = 0; i < channels; ++i) yr[i] = (xr[i] - mean) * rstd * w[i] + b[i];
    }
}

void softmax_rows_ref(float* x, int64_t rows, int64_t cols, int64_t ld) {
    for (int64_t r = 0; r < rows; ++r) {
        float* xr = x + r * ld;
        float mx = -INFINITY;
        for (int64_t i = 0; i < cols; ++i) mx = std::max(mx, xr[i]);
        float sum = 0;
        for (int64_t i = 0; i < cols; ++i) {
            xr[i] = std::exp(xr[i] - mx);
            sum += xr[i];
        }
        const float inv = 1.0f / sum;
        for (int64_t i = 0; i < cols; ++i) xr[i] *= inv;
    }
}

void add_scaled_channels_ref(float* x, const float* y, const float* scale, int64_t rows, int64_t channels) {
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < channels; ++i) x[r * channels + i] += scale[i] * y[r * channels + i];
}

void gelu(const Compute& c, float* x, int64_t n) {
    for_row_ranges(
        c, n, 1 << 15, [&](int64_t i0, int64_t i1) { gelu_ref(x + i0, i1 - i0); },
        [&](int64_t i0, int64_t i1) { gelu_avx2(x + i0, i1 - i0); });
}

void layer_norm_channel(const Compute& c, const float* x, int64_t rows, int64_t channels, const float* w,
                        const float* b, float eps, float* y) {
    for_row_ranges(
        c, rows, row_grain(channels),
        [&](int64_t r0, int64_t r1) {
            layer_norm_channel_ref(x + r0 * channels, r1 - r0, channels, w, b, eps, y + r0 * channels);
        },
        [&](int64_t r0, int64_t r1) {
            layer_norm_channel_avx2(x + r0 * channels, r1 - r0, channels, w, b, eps, y + r0 * channels);
        });
}

void softmax_rows(const Compute& c, float* x, int64_t rows, int64_t cols, int64_t ld) {
    for_row_ranges(
        c, rows, row_grain(cols), [&](int64_t r0, int64_t r1) { softmax_rows_ref(x + r0 * ld, r1 - r0, cols, ld); },
        [&](int64_t r0, int64_t r1) { softmax_rows_avx2(x + r0 * ld, r1 - r0, cols, ld); });
}

void add_scaled_channels(const Compute& c, float* x, const float* y, const float* scale, int64_t rows,
                         int64_t channels) {
    for_row_ranges(
        c, rows, row_grain(channels),
        [&](int64_t r0, int64_t r1) {
            add_scaled_channels_ref(x + r0 * channels, y + r0 * channels, scale, r1 - r0, channels);
        },
        [&](int64_t r0, int64_t r1) {
            add_scaled_channels_avx2(x + r0 * channels, y + r0 * channels, scale, r1 - r0, channels);
        });
}

void channel_mean(const float* x, int64_t rows, int64_t channels, float* mean) {
    std::vector<double> acc(size_t(channels), 0.0);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < channels; ++i) acc[size_t(i)] += x[r * channels + i];
    for (int64_t i = 0; i < channels; ++i) mean[i] = float(acc[size_t(i)] / double(std::max<int64_t>(rows, 1)));
}

void scale_channels(const Compute& c, float* x, const float* scale, int64_t rows, int64_t channels) {
    parallel_for(c.pool, rows, row_grain(channels), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r)
            for (int64_t i = 0; i < channels; ++i) x[r * channels + i] *= scale[i];
    });
}

void relu(float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
}

void sigmoid(float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
}

void chw_to_hwc(const float* chw, int64_t channels, int64_t hw, float* hwc) {
    for (int64_t p = 0; p < hw; ++p)
        for (int64_t ch = 0; ch < channels; ++ch) hwc[p * channels + ch] = chw[ch * hw + p];
}

void hwc_to_chw(const float* hwc, int64_t hw, int64_t channels, float* chw) {
    for (int64_t ch = 0; ch < channels; ++ch)
        for (int64_t p = 0; p < hw; ++p) chw[ch * hw + p] = hwc[p * channels + ch];
}

}  // namespace vlmq::kernels
