#include "kernels/activations.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/cpu_features.h"

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
    const bool simd = use_avx2(c);
    parallel_for(c.pool, n, 1 << 15, [&](int64_t i0, int64_t i1) {
#if defined(VLMQ_HAVE_AVX2)
        if (simd) return gelu_avx2(x + i0, i1 - i0);
#endif
        gelu_ref(x + i0, i1 - i0);
    });
    (void)simd;
}

void layer_norm_channel(const Compute& c, const float* x, int64_t rows, int64_t channels, const float* w,
                        const float* b, float eps, float* y) {
    const bool simd = use_avx2(c);
    parallel_for(c.pool, rows, row_grain(channels), [&](int64_t r0, int64_t r1) {
        const float* xs = x + r0 * channels;
        float* ys = y + r0 * channels;
#if defined(VLMQ_HAVE_AVX2)
        if (simd) return layer_norm_channel_avx2(xs, r1 - r0, channels, w, b, eps, ys);
#endif
        layer_norm_channel_ref(xs, r1 - r0, channels, w, b, eps, ys);
    });
    (void)simd;
}

void softmax_rows(const Compute& c, float* x, int64_t rows, int64_t cols, int64_t ld) {
    const bool simd = use_avx2(c);
    parallel_for(c.pool, rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
#if defined(VLMQ_HAVE_AVX2)
        if (simd) return softmax_rows_avx2(x + r0 * ld, r1 - r0, cols, ld);
#endif
        softmax_rows_ref(x + r0 * ld, r1 - r0, cols, ld);
    });
    (void)simd;
}

void add_scaled_channels(const Compute& c, float* x, const float* y, const float* scale, int64_t rows,
                         int64_t channels) {
    const bool simd = use_avx2(c);
    parallel_for(c.pool, rows, row_grain(channels), [&](int64_t r0, int64_t r1) {
        float* xs = x + r0 * channels;
        const float* ys = y + r0 * channels;
#if defined(VLMQ_HAVE_AVX2)
        if (simd) return add_scaled_channels_avx2(xs, ys, scale, r1 - r0, channels);
#endif
        add_scaled_channels_ref(xs, ys, scale, r1 - r0, channels);
    });
    (void)simd;
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
