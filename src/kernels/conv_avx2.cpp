// AVX2 twins of the scalar convolutions in conv.cpp: same loops, vectorised over output channels in blocks of
// 32 (four accumulators kept in registers across all taps), then 8, then a scalar tail.
#include <immintrin.h>

#include <algorithm>

#include "kernels/conv.h"

namespace vlmq::kernels {

namespace {

// Input values for output channels [o, o+8): with multiplier 2 each input channel feeds two outputs.
template <int M>
inline __m256 load_input(const float* in, int64_t o, __m256i dup) {
    if constexpr (M == 1) {
        return _mm256_loadu_ps(in + o);
    } else {
        return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(in + o / 2)), dup);
    }
}

inline __m256 load_bias(const float* bias, int64_t o) { return bias ? _mm256_loadu_ps(bias + o) : _mm256_setzero_ps(); }

// One output pixel, taps [ky0, ky1) x [kx0, kx1) (border pixels and leftovers of the 4-pixel blocks).
template <int M>
void depthwise_pixel(const DepthwiseShape& s, const float* x, const float* w, const float* bias, float* out,
                     int64_t iy0, int ky0, int ky1, int64_t ix0, int kx0, int kx1, __m256i dup) {
    const int64_t co = s.c_out();
    const int k = s.k;
    int64_t o = 0;
    for (; o + 32 <= co; o += 32) {
        __m256 a0 = load_bias(bias, o), a1 = load_bias(bias, o + 8);
        __m256 a2 = load_bias(bias, o + 16), a3 = load_bias(bias, o + 24);
        for (int ky = ky0; ky < ky1; ++ky) {
            const int64_t pixel0 = (iy0 + ky) * s.w + ix0;  // may be negative; only valid kx are used
            const float* w_row = w + int64_t(ky * k) * co + o;
            for (int kx = kx0; kx < kx1; ++kx) {
                const float* in = x + (pixel0 + kx) * s.c_in;
                const float* wt = w_row + kx * co;
                a0 = _mm256_fmadd_ps(load_input<M>(in, o, dup), _mm256_loadu_ps(wt), a0);
                a1 = _mm256_fmadd_ps(load_input<M>(in, o + 8, dup), _mm256_loadu_ps(wt + 8), a1);
                a2 = _mm256_fmadd_ps(load_input<M>(in, o + 16, dup), _mm256_loadu_ps(wt + 16), a2);
                a3 = _mm256_fmadd_ps(load_input<M>(in, o + 24, dup), _mm256_loadu_ps(wt + 24), a3);
            }
        }
        _mm256_storeu_ps(out + o, a0);
        _mm256_storeu_ps(out + o + 8, a1);
        _mm256_storeu_ps(out + o + 16, a2);
        _mm256_storeu_ps(out + o + 24, a3);
    }
    for (; o + 8 <= co; o += 8) {
        __m256 a0 = load_bias(bias, o);
        for (int ky = ky0; ky < ky1; ++ky)
            for (int kx = kx0; kx < kx1; ++kx) {
                const float* in = x + ((iy0 + ky) * s.w + ix0 + kx) * s.c_in;
                const float* wt = w + int64_t(ky * k + kx) * co + o;
                a0 = _mm256_fmadd_ps(load_input<M>(in, o, dup), _mm256_loadu_ps(wt), a0);
            }
        _mm256_storeu_ps(out + o, a0);
    }
    for (; o < co; ++o) {
        float acc = bias ? bias[o] : 0.0f;
        for (int ky = ky0; ky < ky1; ++ky)
            for (int kx = kx0; kx < kx1; ++kx)
                acc += x[((iy0 + ky) * s.w + ix0 + kx) * s.c_in + o / M] * w[int64_t(ky * k + kx) * co + o];
        out[o] = acc;
    }
}

// kPixels adjacent output pixels whose taps all lie inside the row (ix0 >= 0), channels [o, o + 8 * V): each
// weight vector is loaded once per tap and used for every pixel, halving the loads per FMA.
constexpr int kPixels = 4;

template <int M, int V>
inline void depthwise_block(const DepthwiseShape& s, const float* x, const float* w, const float* bias, float* out,
                            int64_t iy0, int ky0, int ky1, int64_t ix0, int64_t o, __m256i dup) {
    const int64_t co = s.c_out(), step = s.stride * s.c_in;
    const int k = s.k;
    __m256 acc[kPixels][V];
    for (int v = 0; v < V; ++v) {
        const __m256 b = load_bias(bias, o + 8 * v);
        for (int p = 0; p < kPixels; ++p) acc[p][v] = b;
    }
    for (int ky = ky0; ky < ky1; ++ky) {
        const float* in_row = x + ((iy0 + ky) * s.w + ix0) * s.c_in;
        const float* w_row = w + int64_t(ky * k) * co + o;
        for (int kx = 0; kx < k; ++kx) {
            const float* in = in_row + kx * s.c_in;
            for (int v = 0; v < V; ++v) {
                const __m256 wv = _mm256_loadu_ps(w_row + kx * co + 8 * v);
                for (int p = 0; p < kPixels; ++p)
                    acc[p][v] = _mm256_fmadd_ps(load_input<M>(in + p * step, o + 8 * v, dup), wv, acc[p][v]);
            }
        }
    }
    for (int p = 0; p < kPixels; ++p)
        for (int v = 0; v < V; ++v) _mm256_storeu_ps(out + p * co + o + 8 * v, acc[p][v]);
}

template <int M>
void depthwise_rows(const DepthwiseShape& s, const float* x, const float* w, const float* bias, float* y, int64_t oy0,
                    int64_t oy1) {
    const int64_t ow = s.out_w(), co = s.c_out();
    const int k = s.k;
    const __m256i dup = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
    // Output columns whose k taps all fall inside the input row.
    int64_t ox_lo = 0;
    while (ox_lo < ow && ox_lo * s.stride - k / 2 < 0) ++ox_lo;
    int64_t ox_hi = ox_lo;
    while (ox_hi < ow && ox_hi * s.stride - k / 2 + k <= s.w) ++ox_hi;
    for (int64_t oy = oy0; oy < oy1; ++oy) {
        int ky0, ky1;
        tap_range(oy, s.stride, k, s.h, ky0, ky1);
        const int64_t iy0 = oy * s.stride - k / 2;
        for (int64_t ox = 0; ox < ow;) {
            const int64_t ix0 = ox * s.stride - k / 2;
            float* out = y + (oy * ow + ox) * co;
            if (ox >= ox_lo && ox + kPixels <= ox_hi) {
                int64_t o = 0;
                for (; o + 16 <= co; o += 16) depthwise_block<M, 2>(s, x, w, bias, out, iy0, ky0, ky1, ix0, o, dup);
                for (; o + 8 <= co; o += 8) depthwise_block<M, 1>(s, x, w, bias, out, iy0, ky0, ky1, ix0, o, dup);
                if (o < co) {  // channel tail: scalar, per pixel
                    for (int p = 0; p < kPixels; ++p)
                        for (int64_t oc = o; oc < co; ++oc) {
                            float acc = bias ? bias[oc] : 0.0f;
                            for (int ky = ky0; ky < ky1; ++ky)
                                for (int kx = 0; kx < k; ++kx)
                                    acc += x[((iy0 + ky) * s.w + ix0 + p * s.stride + kx) * s.c_in + oc / M] *
                                           w[int64_t(ky * k + kx) * co + oc];
                            out[p * co + oc] = acc;
                        }
                }
                ox += kPixels;
                continue;
            }
            int kx0, kx1;
            tap_range(ox, s.stride, k, s.w, kx0, kx1);
            depthwise_pixel<M>(s, x, w, bias, out, iy0, ky0, ky1, ix0, kx0, kx1, dup);
            ++ox;
        }
    }
}

}  // namespace

void depthwise_conv_hwc_avx2(const DepthwiseShape& s, const float* x, const float* w, const float* bias, float* y,
                             int64_t oy0, int64_t oy1) {
    if (s.multiplier == 1) return depthwise_rows<1>(s, x, w, bias, y, oy0, oy1);
    if (s.multiplier == 2) return depthwise_rows<2>(s, x, w, bias, y, oy0, oy1);
    depthwise_conv_hwc_ref(s, x, w, bias, y, oy0, oy1);  // other multipliers do not occur in FastViT
}

void conv2d_hwc_avx2(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y, int64_t oy0,
                     int64_t oy1) {
    const int64_t ow = s.out_w(), co = s.c_out, ci = s.c_in;
    const int k = s.k;
    for (int64_t oy = oy0; oy < oy1; ++oy) {
        int ky0, ky1;
        tap_range(oy, s.stride, k, s.h, ky0, ky1);
        const int64_t iy0 = oy * s.stride - k / 2;
        for (int64_t ox = 0; ox < ow; ++ox) {
            int kx0, kx1;
            tap_range(ox, s.stride, k, s.w, kx0, kx1);
            const int64_t ix0 = ox * s.stride - k / 2;
            float* out = y + (oy * ow + ox) * co;
            int64_t o = 0;
            for (; o + 32 <= co; o += 32) {
                __m256 a0 = load_bias(bias, o), a1 = load_bias(bias, o + 8);
                __m256 a2 = load_bias(bias, o + 16), a3 = load_bias(bias, o + 24);
                for (int ky = ky0; ky < ky1; ++ky)
                    for (int kx = kx0; kx < kx1; ++kx) {
                        const float* in = x + ((iy0 + ky) * s.w + ix0 + kx) * ci;
                        const float* wt = w + int64_t(ky * k + kx) * ci * co + o;
                        for (int64_t i = 0; i < ci; ++i, wt += co) {
                            const __m256 v = _mm256_broadcast_ss(in + i);
                            a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(wt), a0);
                            a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(wt + 8), a1);
                            a2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(wt + 16), a2);
                            a3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(wt + 24), a3);
                        }
                    }
                _mm256_storeu_ps(out + o, a0);
                _mm256_storeu_ps(out + o + 8, a1);
                _mm256_storeu_ps(out + o + 16, a2);
                _mm256_storeu_ps(out + o + 24, a3);
            }
            for (; o + 8 <= co; o += 8) {
                __m256 a0 = load_bias(bias, o);
                for (int ky = ky0; ky < ky1; ++ky)
                    for (int kx = kx0; kx < kx1; ++kx) {
                        const float* in = x + ((iy0 + ky) * s.w + ix0 + kx) * ci;
                        const float* wt = w + int64_t(ky * k + kx) * ci * co + o;
                        for (int64_t i = 0; i < ci; ++i, wt += co)
                            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(in + i), _mm256_loadu_ps(wt), a0);
                    }
                _mm256_storeu_ps(out + o, a0);
            }
            for (; o < co; ++o) {
                float acc = bias ? bias[o] : 0.0f;
                for (int ky = ky0; ky < ky1; ++ky)
                    for (int kx = kx0; kx < kx1; ++kx) {
                        const float* in = x + ((iy0 + ky) * s.w + ix0 + kx) * ci;
                        const float* wt = w + int64_t(ky * k + kx) * ci * co + o;
                        for (int64_t i = 0; i < ci; ++i) acc += in[i] * wt[i * co];
                    }
                out[o] = acc;
            }
        }
    }
}

}  // namespace vlmq::kernels
