// Vision-tower kernels: scalar references against direct NCHW formulas, AVX2 twins against the scalar ones
// (odd and prime sizes, channel tails), and the dispatching entry points with a thread pool.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/activations.h"
#include "kernels/conv.h"
#include "core/cpu_features.h"
#include "test_util.h"

using namespace vlmq;
using namespace vlmq::kernels;

namespace {


double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    EXPECT_EQ(a.size(), b.size());
    double m = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, double(std::fabs(a[i] - b[i])));
    return m;
}

bool have_avx2() {
#if defined(VLMQ_HAVE_AVX2)
    return cpu_has_avx2();
#else
    return false;
#endif
}

// PyTorch conv2d semantics on planar data: x [c_in, h, w], weight [c_out, c_in/groups, k, k], pad k/2.
std::vector<float> conv_nchw(const std::vector<float>& x, int64_t c_in, int64_t h, int64_t w,
                             const std::vector<float>& wt, const std::vector<float>& bias, int64_t c_out, int k,
                             int stride, int64_t groups) {
    const int64_t oh = conv_out_size(h, k, stride), ow = conv_out_size(w, k, stride);
    const int64_t cig = c_in / groups, cog = c_out / groups, pad = k / 2;
    std::vector<float> y(static_cast<size_t>(c_out * oh * ow));
    for (int64_t o = 0; o < c_out; ++o)
        for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < ow; ++ox) {
                double acc = bias.empty() ? 0.0 : bias[size_t(o)];
                const int64_t g = o / cog;
                for (int64_t i = 0; i < cig; ++i)
                    for (int ky = 0; ky < k; ++ky)
                        for (int kx = 0; kx < k; ++kx) {
                            const int64_t iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            acc += double(x[size_t(((g * cig + i) * h + iy) * w + ix)]) *
                                   wt[size_t(((o * cig + i) * k + ky) * k + kx)];
                        }
                y[size_t((o * oh + oy) * ow + ox)] = float(acc);
            }
    return y;
}

struct DwCase {
    int64_t h, w, c_in;
    int k, stride, mult;
};

}  // namespace

TEST(VisionConv, DepthwiseRefMatchesDirectGroupedConv) {
    for (const DwCase& t : {DwCase{7, 5, 3, 3, 1, 1}, DwCase{9, 11, 5, 7, 2, 2}, DwCase{4, 4, 8, 3, 1, 2},
                            DwCase{13, 6, 4, 7, 1, 1}, DwCase{2, 3, 6, 7, 2, 1}}) {
        const DepthwiseShape s{t.h, t.w, t.c_in, t.k, t.stride, t.mult};
        const int64_t co = s.c_out();
        const auto x_chw = test::uniform(size_t(t.c_in * t.h * t.w), 1);
        const auto wt = test::uniform(size_t(co * t.k * t.k), 2);
        const auto bias = test::uniform(size_t(co), 3);
        const auto expect_chw = conv_nchw(x_chw, t.c_in, t.h, t.w, wt, bias, co, t.k, t.stride, t.c_in);

        std::vector<float> x(x_chw.size()), y(size_t(s.out_h() * s.out_w() * co)), got(y.size());
        chw_to_hwc(x_chw.data(), t.c_in, t.h * t.w, x.data());
        const auto packed = pack_depthwise_weights(wt.data(), co, t.k);
        depthwise_conv_hwc_ref(s, x.data(), packed.data(), bias.data(), y.data(), 0, s.out_h());
        hwc_to_chw(y.data(), s.out_h() * s.out_w(), co, got.data());
        EXPECT_LT(max_abs_diff(got, expect_chw), 1e-5) << t.h << "x" << t.w << " c" << t.c_in << " k" << t.k;
    }
}

TEST(VisionConv, DenseRefMatchesDirectConv) {
    for (int64_t co : {1, 5, 37}) {
        const int64_t ci = 3, h = 11, w = 8;
        const int k = 3, stride = 2;
        const Conv2dShape s{h, w, ci, co, k, stride};
        const auto x_chw = test::uniform(size_t(ci * h * w), 4);
        const auto wt = test::uniform(size_t(co * ci * k * k), 5);
        const auto bias = test::uniform(size_t(co), 6);
        const auto expect = conv_nchw(x_chw, ci, h, w, wt, bias, co, k, stride, 1);
        std::vector<float> x(x_chw.size()), y(size_t(s.out_h() * s.out_w() * co)), got(y.size());
        chw_to_hwc(x_chw.data(), ci, h * w, x.data());
        const auto packed = pack_conv2d_weights(wt.data(), co, ci, k);
        conv2d_hwc_ref(s, x.data(), packed.data(), bias.data(), y.data(), 0, s.out_h());
        hwc_to_chw(y.data(), s.out_h() * s.out_w(), co, got.data());
        EXPECT_LT(max_abs_diff(got, expect), 1e-5) << "c_out " << co;
    }
}

TEST(VisionConv, DepthwiseAvx2MatchesScalar) {
    if (!have_avx2()) GTEST_SKIP() << "no AVX2";
#if defined(VLMQ_HAVE_AVX2)
    // Channel counts hit the 32-block, the 8-block and the scalar tail (e.g. 37 = 32 + 5, 2*19 = 38 = 32 + 6).
    for (const DwCase& t : {DwCase{7, 5, 37, 3, 1, 1}, DwCase{9, 11, 19, 7, 2, 2}, DwCase{5, 13, 64, 7, 1, 1},
                            DwCase{3, 3, 1, 3, 1, 2}, DwCase{17, 6, 13, 3, 2, 1}, DwCase{6, 6, 41, 3, 1, 2},
                            DwCase{8, 7, 23, 7, 1, 1}, DwCase{4, 4, 6, 3, 1, 3},
                            // wide rows: the 4-pixel interior blocks (16- and 8-channel) plus channel tails
                            DwCase{5, 29, 37, 7, 1, 1}, DwCase{6, 31, 12, 3, 1, 2}, DwCase{7, 40, 19, 7, 2, 2},
                            DwCase{4, 23, 9, 3, 2, 1}, DwCase{3, 19, 48, 3, 1, 1}}) {
        const DepthwiseShape s{t.h, t.w, t.c_in, t.k, t.stride, t.mult};
        const auto x = test::uniform(size_t(t.h * t.w * t.c_in), 7);
        const auto wt = test::uniform(size_t(t.k * t.k * s.c_out()), 8);
        const auto bias = test::uniform(size_t(s.c_out()), 9);
        for (const float* b : {bias.data(), static_cast<const float*>(nullptr)}) {
            std::vector<float> ref(size_t(s.out_h() * s.out_w() * s.c_out())), simd(ref.size());
            depthwise_conv_hwc_ref(s, x.data(), wt.data(), b, ref.data(), 0, s.out_h());
            depthwise_conv_hwc_avx2(s, x.data(), wt.data(), b, simd.data(), 0, s.out_h());
            EXPECT_LT(max_abs_diff(simd, ref), 2e-6) << t.h << "x" << t.w << " c" << t.c_in << " m" << t.mult;
        }
    }
#endif
}

TEST(VisionConv, DenseAvx2MatchesScalar) {
    if (!have_avx2()) GTEST_SKIP() << "no AVX2";
#if defined(VLMQ_HAVE_AVX2)
    for (int64_t co : {3, 8, 43, 96, 101}) {
        const Conv2dShape s{13, 9, 3, co, 3, 2};
        const auto x = test::uniform(size_t(s.h * s.w * s.c_in), 10);
        const auto wt = test::uniform(size_t(9 * s.c_in * co), 11);
        const auto bias = test::uniform(size_t(co), 12);
        std::vector<float> ref(size_t(s.out_h() * s.out_w() * co)), simd(ref.size());
        conv2d_hwc_ref(s, x.data(), wt.data(), bias.data(), ref.data(), 0, s.out_h());
        conv2d_hwc_avx2(s, x.data(), wt.data(), bias.data(), simd.data(), 0, s.out_h());
        EXPECT_LT(max_abs_diff(simd, ref), 2e-6) << "c_out " << co;
    }
#endif
}

TEST(VisionConv, ThreadedDispatchEqualsSingleThread) {
    const DepthwiseShape s{31, 29, 40, 7, 1, 1};
    const auto x = test::uniform(size_t(s.h * s.w * s.c_in), 13);
    const auto wt = test::uniform(size_t(49 * s.c_out()), 14);
    ThreadPool pool(3);
    std::vector<float> one(size_t(s.out_h() * s.out_w() * s.c_out())), three(one.size());
    depthwise_conv_hwc(Compute{}, s, x.data(), wt.data(), nullptr, one.data());
    Compute c;
    c.pool = &pool;
    depthwise_conv_hwc(c, s, x.data(), wt.data(), nullptr, three.data());
    EXPECT_EQ(one, three);
}

TEST(VisionActivations, GeluRefKnownValues) {
    std::vector<float> x{0.0f, 1.0f, -1.0f, 3.0f, -3.0f, 0.5f};
    gelu_ref(x.data(), int64_t(x.size()));
    const double expect[] = {0.0, 0.8413447460685429, -0.15865525393145707, 2.995950149249635, -0.004049850750365,
                             0.34573123063700656};
    for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], expect[i], 1e-6) << i;
}

TEST(VisionActivations, GeluAvx2MatchesStdErf) {
    if (!have_avx2()) GTEST_SKIP() << "no AVX2";
#if defined(VLMQ_HAVE_AVX2)
    std::vector<float> x;
    for (float v = -12.0f; v <= 12.0f; v += 0.00137f) x.push_back(v);
    x.push_back(0.0f);
    x.push_back(-0.0f);
    x.push_back(1e-30f);
    x.push_back(-40.0f);
    x.push_back(1000.0f);  // odd count: exercises the scalar tail too
    auto ref = x, simd = x;
    gelu_ref(ref.data(), int64_t(ref.size()));
    gelu_avx2(simd.data(), int64_t(simd.size()));
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        // erf within 5e-7 -> GELU within 0.5 |x| * 5e-7 plus float rounding of the result.
        const double tol = 2.5e-7 * std::fabs(x[i]) + 2e-7 * std::fabs(ref[i]) + 1e-12;
        worst = std::max(worst, std::fabs(double(simd[i]) - ref[i]) / tol);
    }
    EXPECT_LE(worst, 1.0);
#endif
}

TEST(VisionActivations, LayerNormChannelTwinsAndFormula) {
    for (int64_t ch : {1, 7, 8, 37, 128}) {
        const int64_t rows = 5;
        const auto x = test::uniform(size_t(rows * ch), 15, -3.0f, 5.0f);
        const auto w = test::uniform(size_t(ch), 16), b = test::uniform(size_t(ch), 17);
        std::vector<float> ref(x.size());
        layer_norm_channel_ref(x.data(), rows, ch, w.data(), b.data(), 1e-5f, ref.data());
        // Row 0 by the formula in double.
        double mean = 0, var = 0;
        for (int64_t i = 0; i < ch; ++i) mean += x[size_t(i)];
        mean /= double(ch);
        for (int64_t i = 0; i < ch; ++i) var += (x[size_t(i)] - mean) * (x[size_t(i)] - mean);
        var /= double(ch);
        for (int64_t i = 0; i < ch; ++i)
            EXPECT_NEAR(ref[size_t(i)], (x[size_t(i)] - mean) / std::sqrt(var + 1e-5) * w[size_t(i)] + b[size_t(i)], 1e-5);
#if defined(VLMQ_HAVE_AVX2)
        if (have_avx2()) {
            std::vector<float> simd(x.size());
            layer_norm_channel_avx2(x.data(), rows, ch, w.data(), b.data(), 1e-5f, simd.data());
            EXPECT_LT(max_abs_diff(simd, ref), 1e-5) << ch;
        }
#endif
    }
}

TEST(VisionActivations, SoftmaxTwins) {
    for (int64_t cols : {1, 5, 16, 67, 1031}) {
        const int64_t rows = 3, ld = cols + 3;
        auto x = test::uniform(size_t(rows * ld), 18, -20.0f, 20.0f);
        auto ref = x;
        softmax_rows_ref(ref.data(), rows, cols, ld);
        double sum = 0;
        for (int64_t i = 0; i < cols; ++i) sum += ref[size_t(i)];
        EXPECT_NEAR(sum, 1.0, 1e-5);
        EXPECT_EQ(ref[size_t(cols)], x[size_t(cols)]);  // padding past cols is untouched
#if defined(VLMQ_HAVE_AVX2)
        if (have_avx2()) {
            auto simd = x;
            softmax_rows_avx2(simd.data(), rows, cols, ld);
            EXPECT_LT(max_abs_diff(simd, ref), 1e-6) << cols;
        }
#endif
    }
}

TEST(VisionActivations, AddScaledChannelsTwins) {
    for (int64_t ch : {1, 9, 24, 45}) {
        const int64_t rows = 4;
        const auto x = test::uniform(size_t(rows * ch), 19), y = test::uniform(size_t(rows * ch), 20);
        const auto s = test::uniform(size_t(ch), 21);
        auto ref = x;
        add_scaled_channels_ref(ref.data(), y.data(), s.data(), rows, ch);
        EXPECT_FLOAT_EQ(ref[size_t(ch)], x[size_t(ch)] + s[0] * y[size_t(ch)]);  // row 1, channel 0
#if defined(VLMQ_HAVE_AVX2)
        if (have_avx2()) {
            auto simd = x;
            add_scaled_channels_avx2(simd.data(), y.data(), s.data(), rows, ch);
            EXPECT_LT(max_abs_diff(simd, ref), 1e-6) << ch;
        }
#endif
    }
}

TEST(VisionActivations, SqueezeExciteHelpers) {
    const std::vector<float> x{1, 2, 3, 4, 5, 6};  // 3 rows x 2 channels
    float mean[2];
    channel_mean(x.data(), 3, 2, mean);
    EXPECT_FLOAT_EQ(mean[0], 3.0f);
    EXPECT_FLOAT_EQ(mean[1], 4.0f);
    std::vector<float> v{-1.0f, 0.0f, 2.0f};
    relu(v.data(), 3);
    EXPECT_EQ(v, (std::vector<float>{0.0f, 0.0f, 2.0f}));
    std::vector<float> g{0.0f, 2.0f};
    sigmoid(g.data(), 2);
    EXPECT_FLOAT_EQ(g[0], 0.5f);
    EXPECT_NEAR(g[1], 0.8807970779778823, 1e-7);
}
