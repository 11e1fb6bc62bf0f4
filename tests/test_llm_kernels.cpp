// Decoder kernels: each AVX2 twin against its scalar reference, and the references against direct formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/attention.h"
#include "core/cpu_features.h"
#include "kernels/norm.h"
#include "kernels/rope.h"
#include "kernels/swiglu.h"
#include "test_util.h"

namespace vlmq::kernels {
namespace {


double max_rel(const std::vector<float>& a, const std::vector<float>& b) {
    double diff = 0, mag = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::fabs(double(a[i]) - double(b[i])));
        mag = std::max(mag, std::fabs(double(b[i])));
    }
    return mag > 0 ? diff / mag : diff;
}

#define REQUIRE_AVX2()                                                   \
    do {                                                                 \
        if (!cpu_has_avx2()) GTEST_SKIP() << "CPU without AVX2/FMA/F16C"; \
    } while (0)

TEST(LlmKernels, RmsNormRefMatchesFormula) {
    const int64_t rows = 3, n = 37;
    const auto x = test::gaussian(size_t(rows * n), 1), w = test::gaussian(size_t(n), 2);
    std::vector<float> y(x.size());
    rms_norm_ref(x.data(), rows, n, w.data(), 1e-6f, y.data(), n, n);
    for (int64_t r = 0; r < rows; ++r) {
        double sq = 0;
        for (int64_t i = 0; i < n; ++i) sq += double(x[size_t(r * n + i)]) * x[size_t(r * n + i)];
        const double inv = 1.0 / std::sqrt(sq / n + 1e-6);
        for (int64_t i = 0; i < n; ++i)
            EXPECT_NEAR(y[size_t(r * n + i)], w[size_t(i)] * x[size_t(r * n + i)] * inv, 1e-5);
    }
}

TEST(LlmKernels, RmsNormAvx2MatchesRef) {
    REQUIRE_AVX2();
#if defined(VLMQ_HAVE_AVX2)
    for (int64_t n : {1, 7, 8, 31, 33, 128, 255}) {
        const int64_t rows = 5, ld = n + 3;
        const auto x = test::gaussian(size_t(rows * ld), 3, 4.0f), w = test::gaussian(size_t(n), 4);
        std::vector<float> a(size_t(rows * ld), 0.0f), b(size_t(rows * ld), 0.0f);
        rms_norm_ref(x.data(), rows, n, w.data(), 1e-6f, a.data(), ld, ld);
        rms_norm_avx2(x.data(), rows, n, w.data(), 1e-6f, b.data(), ld, ld);
        EXPECT_LT(max_rel(b, a), 1e-6) << "n=" << n;
    }
#endif
}

TEST(LlmKernels, RopeAnglesFollowTheta) {
    const auto a = rope_angles(5, 2, 8, 10000.0);
    ASSERT_EQ(a.half, 4);
    // dim pair 0 rotates by the position itself; pair i by pos * theta^(-2i/d).
    EXPECT_NEAR(a.cos[0], std::cos(5.0), 1e-6);
    EXPECT_NEAR(a.sin[0], std::sin(5.0), 1e-6);
    EXPECT_NEAR(a.sin[4 + 2], std::sin(6.0 * std::pow(10000.0, -0.5)), 1e-6);
}

TEST(LlmKernels, RopeRefRotatesHalfPairs) {
    const int64_t d = 6, heads = 2;
    std::vector<float> x = test::gaussian(size_t(heads * d), 5);
    const std::vector<float> x0 = x;
    const auto a = rope_angles(3, 1, d, 100.0);
    rope_ref(x.data(), 1, heads, d, heads * d, a.cos.data(), a.sin.data());
    for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < d / 2; ++i) {
            const float x1 = x0[size_t(h * d + i)], x2 = x0[size_t(h * d + i + d / 2)];
            const double ang = 3.0 * std::pow(100.0, -2.0 * double(i) / double(d));
            EXPECT_NEAR(x[size_t(h * d + i)], x1 * std::cos(ang) - x2 * std::sin(ang), 1e-5);
            EXPECT_NEAR(x[size_t(h * d + i + d / 2)], x2 * std::cos(ang) + x1 * std::sin(ang), 1e-5);
        }
}

TEST(LlmKernels, RopeAvx2MatchesRef) {
    REQUIRE_AVX2();
#if defined(VLMQ_HAVE_AVX2)
    for (int64_t d : {2, 14, 16, 32, 64, 128}) {
        const int64_t rows = 7, heads = 3, ld = heads * d + 5;
        const auto a = rope_angles(11, rows, d, 1e6);
        std::vector<float> x = test::gaussian(size_t(rows * ld), 6), y = x;
        rope_ref(x.data(), rows, heads, d, ld, a.cos.data(), a.sin.data());
        rope_avx2(y.data(), rows, heads, d, ld, a.cos.data(), a.sin.data());
        EXPECT_LT(max_rel(y, x), 1e-6) << "d=" << d;
    }
#endif
}

struct AttentionCase {
    int64_t rows, pos0, heads, kv_heads, d;
};

TEST(LlmKernels, AttentionRefMatchesDirectSoftmax) {
    const AttentionCase t{3, 2, 4, 2, 8};
    const int64_t keys = t.pos0 + t.rows, ldq = t.heads * t.d, ldkv = t.kv_heads * t.d;
    const auto q = test::gaussian(size_t(t.rows * ldq), 7), k = test::gaussian(size_t(keys * ldkv), 8),
               v = test::gaussian(size_t(keys * ldkv), 9);
    std::vector<float> out(size_t(t.rows * ldq)), scores(static_cast<size_t>(keys));
    AttentionArgs a{q.data(), ldq, k.data(), v.data(), ldkv, out.data(), ldq, t.rows, t.pos0, t.heads, t.kv_heads, t.d,
                    0.5f};
    attention_ref(a, 0, t.rows * t.heads, scores.data());
    for (int64_t r = 0; r < t.rows; ++r)
        for (int64_t h = 0; h < t.heads; ++h) {
            const int64_t g = h / (t.heads / t.kv_heads), n = t.pos0 + r + 1;
            std::vector<double> p(static_cast<size_t>(n));
            double sum = 0;
            for (int64_t j = 0; j < n; ++j) {
                double s = 0;
                for (int64_t i = 0; i < t.d; ++i) s += double(q[size_t(r * ldq + h * t.d + i)]) * k[size_t(j * ldkv + g * t.d + i)];
                p[size_t(j)] = std::exp(0.5 * s);
                sum += p[size_t(j)];
            }
            for (int64_t i = 0; i < t.d; ++i) {
                double o = 0;
                for (int64_t j = 0; j < n; ++j) o += p[size_t(j)] / sum * v[size_t(j * ldkv + g * t.d + i)];
                EXPECT_NEAR(out[size_t(r * ldq + h * t.d + i)], o, 1e-5);
            }
        }
}

TEST(LlmKernels, AttentionAvx2MatchesRef) {
    REQUIRE_AVX2();
#if defined(VLMQ_HAVE_AVX2)
    for (const AttentionCase& t : {AttentionCase{1, 0, 2, 1, 8}, AttentionCase{5, 0, 4, 2, 36},
                                   AttentionCase{1, 30, 14, 2, 64}, AttentionCase{9, 13, 6, 3, 40},
                                   AttentionCase{2, 17, 4, 4, 128}}) {
        const int64_t keys = t.pos0 + t.rows, ldq = t.heads * t.d + 3, ldkv = t.kv_heads * t.d + 1;
        const auto q = test::gaussian(size_t(t.rows * ldq), 10, 2.0f), k = test::gaussian(size_t(keys * ldkv), 11, 2.0f),
                   v = test::gaussian(size_t(keys * ldkv), 12);
        std::vector<float> ref(size_t(t.rows * ldq), 0.0f), simd = ref, scores(static_cast<size_t>(keys));
        AttentionArgs a{q.data(), ldq, k.data(), v.data(), ldkv, ref.data(), ldq, t.rows, t.pos0, t.heads, t.kv_heads,
                        t.d, float(1.0 / std::sqrt(double(t.d)))};
        attention_ref(a, 0, t.rows * t.heads, scores.data());
        a.out = simd.data();
        attention_avx2(a, 0, t.rows * t.heads, scores.data());
        EXPECT_LT(max_rel(simd, ref), 2e-6) << "rows=" << t.rows << " pos0=" << t.pos0 << " d=" << t.d;
    }
#endif
}

TEST(LlmKernels, SoftmaxPrefixAvx2MatchesRef) {
    REQUIRE_AVX2();
#if defined(VLMQ_HAVE_AVX2)
    for (int64_t n : {1, 5, 8, 23, 64, 301}) {
        const int64_t total = n + 9;
        std::vector<float> a = test::gaussian(static_cast<size_t>(total), 18, 8.0f), b = a;
        softmax_prefix_ref(a.data(), n, total, 0.125f);
        softmax_prefix_avx2(b.data(), n, total, 0.125f);
        EXPECT_LT(max_rel(b, a), 1e-6) << "n=" << n;
        double sum = 0;
        for (int64_t j = 0; j < n; ++j) sum += a[size_t(j)];
        EXPECT_NEAR(sum, 1.0, 1e-5);
        for (int64_t j = n; j < total; ++j) EXPECT_EQ(b[size_t(j)], 0.0f);
    }
#endif
}

// Prefill-sized inputs take the GEMM path of attention(); it must agree with the per-task reference.
TEST(LlmKernels, AttentionGemmPathMatchesRef) {
    REQUIRE_AVX2();
    ThreadPool pool(2);
    for (const AttentionCase& t : {AttentionCase{kAttentionGemmRows, 0, 6, 2, 64}, AttentionCase{100, 9, 6, 2, 64},
                                   AttentionCase{65, 3, 4, 4, 40}}) {
        const int64_t keys = t.pos0 + t.rows, ldq = t.heads * t.d + 2, ldkv = t.kv_heads * t.d + 3;
        const auto q = test::gaussian(size_t(t.rows * ldq), 19, 2.0f), k = test::gaussian(size_t(keys * ldkv), 20, 2.0f),
                   v = test::gaussian(size_t(keys * ldkv), 21);
        std::vector<float> ref(size_t(t.rows * ldq), 0.0f), fast = ref, scores(static_cast<size_t>(keys));
        AttentionArgs a{q.data(), ldq, k.data(), v.data(), ldkv, ref.data(), ldq, t.rows, t.pos0, t.heads, t.kv_heads,
                        t.d, float(1.0 / std::sqrt(double(t.d)))};
        attention_ref(a, 0, t.rows * t.heads, scores.data());
        a.out = fast.data();
        attention(Compute{&pool}, a);
        EXPECT_LT(max_rel(fast, ref), 2e-6) << "rows=" << t.rows << " pos0=" << t.pos0 << " d=" << t.d;
    }
}

TEST(LlmKernels, AttentionThreadedEqualsSerial) {
    ThreadPool pool(3);
    const AttentionCase t{6, 4, 4, 2, 16};
    const int64_t keys = t.pos0 + t.rows, ldq = t.heads * t.d, ldkv = t.kv_heads * t.d;
    const auto q = test::gaussian(size_t(t.rows * ldq), 13), k = test::gaussian(size_t(keys * ldkv), 14),
               v = test::gaussian(size_t(keys * ldkv), 15);
    std::vector<float> serial(size_t(t.rows * ldq)), threaded = serial;
    AttentionArgs a{q.data(), ldq, k.data(), v.data(), ldkv, serial.data(), ldq, t.rows, t.pos0, t.heads, t.kv_heads,
                    t.d, 0.25f};
    attention(Compute{}, a);
    a.out = threaded.data();
    attention(Compute{&pool}, a);
    EXPECT_EQ(serial, threaded);
}

TEST(LlmKernels, SwigluRefMatchesFormula) {
    std::vector<float> g{-90.0f, -3.0f, 0.0f, 0.5f, 20.0f}, u{1.0f, 2.0f, 3.0f, -4.0f, 0.5f};
    const std::vector<float> g0 = g;
    swiglu_ref(g.data(), u.data(), int64_t(g.size()));
    for (size_t i = 0; i < g.size(); ++i)
        EXPECT_NEAR(g[i], g0[i] / (1.0 + std::exp(-double(g0[i]))) * u[i], 1e-6 * (1 + std::fabs(g0[i] * u[i])));
}

TEST(LlmKernels, SwigluAvx2MatchesRef) {
    REQUIRE_AVX2();
#if defined(VLMQ_HAVE_AVX2)
    for (int64_t n : {1, 7, 8, 9, 352, 4867}) {
        std::vector<float> g = test::gaussian(size_t(n), 16, 6.0f);
        const auto u = test::gaussian(size_t(n), 17);
        g[0] = -100.0f;
        if (n > 1) g[1] = 100.0f;
        std::vector<float> a = g, b = g;
        swiglu_ref(a.data(), u.data(), n);
        swiglu_avx2(b.data(), u.data(), n);
        for (int64_t i = 0; i < n; ++i)
            EXPECT_NEAR(b[size_t(i)], a[size_t(i)], 1e-6 * (1.0 + std::fabs(a[size_t(i)]))) << "n=" << n << " i=" << i;
    }
#endif
}

}  // namespace
}  // namespace vlmq::kernels
