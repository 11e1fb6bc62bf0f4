// linear / matmul_f32 / matmul_f32_nt: every path against a double-precision reference, the int8
// activation path against its derived error bound, and AVX2 twins against their scalar definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "core/error.h"
#include "core/half.h"
#include "kernels/act_quant.h"
#include "core/cpu_features.h"
#include "kernels/gemv.h"
#include "kernels/linear.h"
#include "qformat/dequant.h"
#include "rounding/rtn.h"
#include "test_util.h"

using namespace vlmq;
using namespace vlmq::kernels;
using qformat::Format;
using qformat::QMatrixBuffer;

namespace {


QMatrixBuffer make_weights(const Format& f, int64_t N, int64_t K, uint32_t seed) {
    const auto w = test::gaussian(size_t(N * K), seed, 0.05f);
    QMatrixBuffer q(f, N, K);
    rounding::quantize_rtn({}, w.data(), DType::F32, q.mut());
    return q;
}

std::vector<float> dequantized(const QMatrixBuffer& q) {
    std::vector<float> out(static_cast<size_t>(q.rows * q.cols));
    for (int64_t r = 0; r < q.rows; ++r) qformat::dequantize_row_ref(q.view(), r, out.data() + r * q.cols);
    return out;
}

struct Problem {
    int64_t M, N, K, ldx, ldy;
    std::vector<float> x, bias;
    bool with_bias;
};

Problem make_problem(int64_t M, int64_t N, int64_t K, int variant, uint32_t seed) {
    Problem p{M, N, K, K + (variant % 3 == 0 ? 3 : 0), N + (variant % 3 == 1 ? 5 : 0), {}, {}, variant % 2 == 1};
    p.x = test::gaussian(size_t(M * p.ldx), seed);
    // Some activation outliers per row, as real hidden states have.
    for (int64_t m = 0; m < M; ++m) p.x[size_t(m * p.ldx + (m * 7) % K)] *= 20.0f;
    p.bias = test::gaussian(size_t(N), seed + 1);
    return p;
}

// Per output: the double-precision value and sum |x_k w_k| (for relative fp32 bounds).
void reference(const Problem& p, const std::vector<float>& w, std::vector<double>& y, std::vector<double>& mag) {
    y.assign(size_t(p.M * p.N), 0.0);
    mag.assign(size_t(p.M * p.N), 0.0);
    for (int64_t m = 0; m < p.M; ++m)
        for (int64_t n = 0; n < p.N; ++n) {
            double s = p.with_bias ? p.bias[size_t(n)] : 0.0, a = p.with_bias ? std::fabs(p.bias[size_t(n)]) : 0.0;
            for (int64_t k = 0; k < p.K; ++k) {
                const double t = double(p.x[size_t(m * p.ldx + k)]) * w[size_t(n * p.K + k)];
                s += t;
                a += std::fabs(t);
            }
            y[size_t(m * p.N + n)] = s;
            mag[size_t(m * p.N + n)] = a;
        }
}

std::vector<float> run_linear(const Compute& c, const Problem& p, const QMatrixBuffer& w) {
    std::vector<float> y(size_t(p.M * p.ldy), NAN);
    linear(c, p.x.data(), p.M, w.view(), p.with_bias ? p.bias.data() : nullptr, y.data(), p.ldx, p.ldy);
    return y;
}

// 2^(b-1) |s_g| + |m_g| for the group of weight (n, k): the size of the offset terms the int8 path
// folds into per-group corrections (their fp32 rounding scales with it).
double offset_coef(const QMatrixBuffer& q, int64_t n, int64_t k) {
    const qformat::Layout l = q.view().layout();
    const int64_t g = n * l.groups_per_row + k / l.group;
    return std::ldexp(std::fabs(f16_to_f32(q.scales[size_t(g)])), q.fmt.bits - 1) +
           (q.fmt.symmetric ? 0.0 : std::fabs(f16_to_f32(q.biases[size_t(g)])));
}

// The int8-activation bound: x_k = d_b q_k + e_k with |e_k| <= d_b / 2 (d_b = max|x| / 127 over the
// block; 1e-4 relative covers the reciprocal's rounding), so |y - y_exact| <= sum_b d_b / 2 * sum |w_k|,
// plus fp32 accumulation slack over the integer sums and the offset correction terms.
double int8_bound(const Problem& p, const QMatrixBuffer& q, const std::vector<float>& w, int64_t m, int64_t n) {
    double bound = 0.0, slack = 0.0;
    for (int64_t b = 0; b < p.K / 32; ++b) {
        double amax = 0.0, wsum = 0.0;
        for (int64_t k = 32 * b; k < 32 * b + 32; ++k) {
            amax = std::max(amax, double(std::fabs(p.x[size_t(m * p.ldx + k)])));
            wsum += std::fabs(w[size_t(n * p.K + k)]);
        }
        bound += amax / 127.0 * 0.5 * (1.0 + 1e-4) * wsum;
        slack += amax * (wsum + 32.0 * offset_coef(q, n, 32 * b));
    }
    return bound + 1e-5 * slack;
}

std::vector<Format> linear_formats() {
    std::vector<Format> f;
    for (const char* s : {"f32", "f16", "bf16", "int4_g32_sym", "int4_g32_aff", "int4_g64_sym", "int4_g128_aff",
                          "int4_row_sym", "int8_row_sym", "int8_g32_sym", "int8_g32_aff", "int8_g64_aff", "int3_g32_sym",
                          "int5_g64_aff", "int6_row_sym", "int2_g32_aff", "int7_g128_sym"})
        f.push_back(*Format::parse(s));
    return f;
}

}  // namespace

TEST(Linear, EveryPathMatchesReference) {
    ThreadPool pool(2);
    const std::pair<int64_t, int64_t> shapes[] = {{17, 32}, {64, 96}, {33, 384}, {100, 896}, {5, 64}};
    int variant = 0, int8_checked = 0;
    for (const Format& f : linear_formats())
        for (int64_t M : {1, 2, 3, 7, 33, 200})
            for (auto [N, K] : shapes) {
                if (M == 200 && K < 384) continue;
                const Format ff = qformat::fit_group_size(f, K, nullptr);
                const QMatrixBuffer q = make_weights(ff, N, K, uint32_t(N * 131 + K));
                const auto w = dequantized(q);
                const Problem p = make_problem(M, N, K, variant++, uint32_t(M + N + K));
                std::vector<double> yr, mag;
                reference(p, w, yr, mag);
                for (int mode = 0; mode < 4; ++mode) {
                    Compute c;
                    c.reference = mode == 0;
                    c.int8_activations = mode == 3;
                    c.pool = mode >= 2 ? &pool : nullptr;
                    const auto y = run_linear(c, p, q);
                    const bool int8 = mode == 3 && M <= 4 && cpu_has_avx2() && detail::q8_gemv_supported(q.view());
                    int8_checked += int8;
                    for (int64_t m = 0; m < M; ++m) {
                        for (int64_t n = 0; n < N; ++n) {
                            const double got = y[size_t(m * p.ldy + n)], want = yr[size_t(m * N + n)];
                            const double tol = int8 ? int8_bound(p, q, w, m, n) : 1e-5 * mag[size_t(m * N + n)] + 1e-30;
                            ASSERT_LE(std::fabs(got - want), tol) << ff.name() << " M " << M << " N " << N << " K " << K
                                                                  << " mode " << mode << " at " << m << "," << n;
                        }
                        for (int64_t n = N; n < p.ldy; ++n)
                            ASSERT_TRUE(std::isnan(y[size_t(m * p.ldy + n)])) << "stride gap written";
                    }
                }
            }
    if (cpu_has_avx2()) {
        EXPECT_GT(int8_checked, 100);
    }
}

TEST(Linear, Int8PathComputesTheQuantizedActivationProduct) {
    // linear() on the int8 path == sum_k d_b q_k w_k in double, with q_k = rne(x_k * (1 / d_b)),
    // d_b = max|x| / 127 recomputed here; only fp32 rounding separates them. Its error against the exact
    // product is nonzero (the path really quantizes) and within the worst-case bound.
    if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2";
    for (const char* name : {"int4_g32_sym", "int4_g64_aff", "int4_row_sym", "int8_row_sym", "int8_g32_aff"})
        for (int64_t M : {1, 2, 4}) {
            const int64_t N = 64, K = 896;
            const QMatrixBuffer q = make_weights(*Format::parse(name), N, K, 3);
            const auto w = dequantized(q);
            const Problem p = make_problem(M, N, K, 1, 4);
            std::vector<double> yr, mag;
            reference(p, w, yr, mag);
            Compute int8;
            int8.int8_activations = true;  // not the default (weight-only numerics)
            const auto y = run_linear(int8, p, q);
            std::vector<double> xq(static_cast<size_t>(M * K));
            for (int64_t m = 0; m < M; ++m)
                for (int64_t b = 0; b < K / 32; ++b) {
                    const float* xb = p.x.data() + m * p.ldx + 32 * b;
                    float amax = 0.0f;
                    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(xb[j]));
                    const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
                    for (int j = 0; j < 32; ++j) xq[size_t(m * K + 32 * b + j)] = double(d) * std::nearbyint(xb[j] * id);
                }
            double max_err = 0.0;
            for (int64_t m = 0; m < M; ++m)
                for (int64_t n = 0; n < N; ++n) {
                    double want = p.bias[size_t(n)], scale = std::fabs(want);
                    for (int64_t k = 0; k < K; ++k) {
                        want += xq[size_t(m * K + k)] * w[size_t(n * K + k)];
                        scale += std::fabs(xq[size_t(m * K + k)]) * (std::fabs(w[size_t(n * K + k)]) + offset_coef(q, n, k));
                    }
                    const double got = y[size_t(m * p.ldy + n)];
                    ASSERT_NEAR(got, want, 1e-6 * scale) << name << " M " << M << " n " << n;
                    max_err = std::max(max_err, std::fabs(got - yr[size_t(m * N + n)]));
                    ASSERT_LE(std::fabs(got - yr[size_t(m * N + n)]), int8_bound(p, q, w, m, n));
                }
            EXPECT_GT(max_err, 1e-4) << name;
        }
}

#if defined(VLMQ_HAVE_AVX2)
TEST(Linear, Q8TwinsAgree) {
    if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2";
    double worst = 0.0;
    for (const char* name : {"int4_g32_sym", "int4_g32_aff", "int4_g64_sym", "int4_row_aff", "int8_g32_sym",
                             "int8_g32_aff", "int8_g128_sym", "int8_row_aff"})
        for (int64_t K : {32, 64, 96, 896, 4864})
            for (int64_t M : {1, 3, 5}) {
                const Format f = qformat::fit_group_size(*Format::parse(name), K, nullptr);
                const int64_t N = 13;
                const QMatrixBuffer q = make_weights(f, N, K, uint32_t(K));
                const auto x = test::gaussian(size_t(M * K), uint32_t(K + M));
                const int64_t group = q.view().layout().group;
                Q8Acts a, b;
                Compute scalar;
                scalar.reference = true;
                quantize_acts_q8(scalar, x.data(), M, K, K, group, f.bits == 4, a);
                quantize_acts_q8({}, x.data(), M, K, K, group, f.bits == 4, b);
                ASSERT_EQ(a.q, b.q) << name << " K " << K;
                ASSERT_EQ(a.d, b.d) << name << " K " << K;
                ASSERT_EQ(a.gsum, b.gsum) << name << " K " << K;
                std::vector<float> bias = test::gaussian(size_t(N), 1), ya(size_t(M * N)), yb(size_t(M * N));
                detail::gemv_q8_ref(q.view(), a, 0, N, bias.data(), ya.data(), N);
                detail::gemv_q8_avx2(q.view(), a, 0, N, bias.data(), yb.data(), N);
                const auto w = dequantized(q);
                for (size_t i = 0; i < ya.size(); ++i) {
                    // Same integer block dots; only the fp32 order of the scale products and the offset
                    // correction differs: a few ulps of sum_k |x_k| (|w_k| + 2^(b-1)|s_g| + |m_g|).
                    const int64_t m = int64_t(i) / N, n = int64_t(i) % N;
                    double mag = std::fabs(bias[size_t(n)]);
                    for (int64_t k = 0; k < K; ++k)
                        mag += std::fabs(x[size_t(m * K + k)]) * (std::fabs(w[size_t(n * K + k)]) + offset_coef(q, n, k));
                    worst = std::max(worst, std::fabs(double(ya[i]) - yb[i]) / mag);
                    ASSERT_LE(std::fabs(double(ya[i]) - yb[i]), 1e-6 * mag) << name << " K " << K << " M " << M;
                }
            }
    std::printf("worst twin difference / magnitude: %.3g\n", worst);
}

#endif  // VLMQ_HAVE_AVX2

TEST(Linear, ActQuantKnownValues) {
    // One block: x_j = j - 16 (amax 16 -> d = 16/127); q = rne(x * 127/16); nibble order = evens, odds.
    std::vector<float> x(32);
    for (int j = 0; j < 32; ++j) x[size_t(j)] = float(j - 16);
    for (bool avx2 : {false, true}) {
        if (avx2 && !cpu_has_avx2()) continue;
        Q8Acts a;
        Compute c;
        c.reference = !avx2;
        quantize_acts_q8(c, x.data(), 1, 32, 32, 32, true, a);
        EXPECT_EQ(a.d[0], 16.0f / 127.0f);
        EXPECT_EQ(a.q[0], -127);   // x_0 = -16
        EXPECT_EQ(a.q[16], -119);  // x_1 = -15 -> -119.06
        EXPECT_EQ(a.q[8], 0);      // x_16 = 0
        EXPECT_EQ(a.q[31], 119);   // x_31 = 15
        int32_t sum = 0;
        for (int8_t v : a.q) sum += v;
        EXPECT_FLOAT_EQ(a.gsum[0], a.d[0] * float(sum));
        EXPECT_EQ(q8_position(1, 32, true), 16);
        EXPECT_EQ(q8_position(33, 64, true), 32 + 16);  // odd element of the second block of a pair
        EXPECT_EQ(q8_position(34, 96, true), 16 + 1);
        EXPECT_EQ(q8_position(65, 96, true), 64 + 16);  // trailing single block
    }
}

TEST(Matmul, F32AndNtMatchReference) {
    ThreadPool pool(2);
    int variant = 0;
    for (int64_t M : {1, 2, 3, 7, 33, 200})
        for (auto [N, K] : {std::pair<int64_t, int64_t>{17, 32}, {64, 64}, {40, 300}, {129, 7}, {5, 1000}, {16, 0}}) {
            const int64_t lda = K + (variant % 2), ldb_nt = K + (variant % 3), ldb_nn = N + (variant % 3),
                          ldc = N + 2 * (variant % 2);
            ++variant;
            const auto a = test::gaussian(size_t(M * lda), uint32_t(M * 7 + K));
            const auto bnt = test::gaussian(size_t(N * ldb_nt), uint32_t(N + K));
            const auto bnn = test::gaussian(size_t(std::max<int64_t>(K, 1) * ldb_nn), uint32_t(N * 3 + K));
            const auto init = test::gaussian(size_t(M * ldc), 99);
            for (int mode = 0; mode < 3; ++mode) {
                Compute c;
                c.reference = mode == 0;
                c.pool = mode == 2 ? &pool : nullptr;
                for (int which = 0; which < 3; ++which) {  // nt, nn, nn accumulate
                    std::vector<float> out = init;
                    if (which == 0)
                        matmul_f32_nt(c, a.data(), lda, bnt.data(), ldb_nt, out.data(), ldc, M, N, K);
                    else
                        matmul_f32(c, a.data(), lda, bnn.data(), ldb_nn, out.data(), ldc, M, N, K, which == 2);
                    for (int64_t m = 0; m < M; ++m)
                        for (int64_t n = 0; n < ldc; ++n) {
                            const float got = out[size_t(m * ldc + n)];
                            if (n >= N) {
                                ASSERT_EQ(got, init[size_t(m * ldc + n)]);
                                continue;
                            }
                            double s = which == 2 ? init[size_t(m * ldc + n)] : 0.0, mag = std::fabs(s);
                            for (int64_t k = 0; k < K; ++k) {
                                const double t = double(a[size_t(m * lda + k)]) *
                                                 (which == 0 ? bnt[size_t(n * ldb_nt + k)] : bnn[size_t(k * ldb_nn + n)]);
                                s += t;
                                mag += std::fabs(t);
                            }
                            ASSERT_LE(std::fabs(got - s), 1e-5 * mag + 1e-30)
                                << "which " << which << " mode " << mode << " M " << M << " N " << N << " K " << K;
                        }
                }
            }
        }
}

TEST(Linear, LargeGemmAllFloatSources) {
    // Several KC slices, a K tail that is not a multiple of 8, partial 6x16 tiles, two M tiles.
    ThreadPool pool(2);
    for (const char* name : {"f32", "bf16", "int4_g32_aff", "int8_row_sym"}) {
        const Format f = qformat::fit_group_size(*Format::parse(name), 1000, nullptr);
        const QMatrixBuffer q = make_weights(f, 45, 1000, 17);
        const auto w = dequantized(q);
        const Problem p = make_problem(401, 45, 1000, 1, 8);
        std::vector<double> yr, mag;
        reference(p, w, yr, mag);
        Compute c;
        c.pool = &pool;
        const auto y = run_linear(c, p, q);
        for (int64_t m = 0; m < p.M; ++m)
            for (int64_t n = 0; n < p.N; ++n)
                ASSERT_LE(std::fabs(y[size_t(m * p.ldy + n)] - yr[size_t(m * p.N + n)]), 1e-5 * mag[size_t(m * p.N + n)])
                    << name << " at " << m << "," << n;
    }
}

TEST(Linear, RejectsIntWeightsWithoutScales) {
    QMatrixBuffer q(*Format::parse("int4_g32_sym"), 2, 32);
    qformat::QMatrix v = q.view();
    v.scales = nullptr;
    std::vector<float> x(32), y(2);
    EXPECT_THROW(linear({}, x.data(), 1, v, nullptr, y.data()), Error);
}

// linear_batch shares the thread split and activation quantization across products of one input; each output
// must still equal its own linear() call bit for bit, for matching and mixed formats, on every path.
TEST(Linear, BatchEqualsSeparateCalls) {
    ThreadPool pool(2);
    const int64_t K = 128;
    const std::vector<std::vector<const char*>> groups = {
        {"int4_g32_sym", "int4_g32_sym", "int4_g32_sym"},  // q/k/v of an int4 package
        {"int8_row_sym", "int8_row_sym"},
        {"int4_g32_sym", "int8_g32_sym", "bf16"},  // mixed: falls back to separate calls
        {"bf16", "f16", "f32"},                    // float GEMV path
        {"int4_g64_aff", "int4_g32_aff"},          // same bits, different groups
    };
    const int64_t rows[] = {40, 9, 64};
    for (const auto& names : groups)
        for (int64_t M : {1, 3, 6})
            for (int mode = 0; mode < 3; ++mode) {
                Compute c;
                c.pool = &pool;
                c.reference = mode == 0;
                c.int8_activations = mode != 2;
                std::vector<QMatrixBuffer> ws;
                for (size_t i = 0; i < names.size(); ++i)
                    ws.push_back(make_weights(*Format::parse(names[i]), rows[i], K, uint32_t(7 + i)));
                const Problem p = make_problem(M, 64, K, 0, 3);
                std::vector<std::vector<float>> separate, batched;
                std::vector<LinearOut> outs;
                for (size_t i = 0; i < ws.size(); ++i) {
                    const float* bias = i == 0 ? p.bias.data() : nullptr;
                    separate.emplace_back(size_t(M * rows[i]), NAN);
                    linear(c, p.x.data(), M, ws[i].view(), bias, separate.back().data(), p.ldx);
                    batched.emplace_back(size_t(M * rows[i]), NAN);
                }
                std::vector<qformat::QMatrix> views;
                for (const auto& w : ws) views.push_back(w.view());
                for (size_t i = 0; i < ws.size(); ++i)
                    outs.push_back({&views[i], i == 0 ? p.bias.data() : nullptr, batched[i].data(), 0});
                linear_batch(c, p.x.data(), M, outs, p.ldx);
                for (size_t i = 0; i < ws.size(); ++i)
                    ASSERT_EQ(0, std::memcmp(separate[i].data(), batched[i].data(), separate[i].size() * 4))
                        << names[i] << " (output " << i << ") M " << M << " mode " << mode;
            }
}

TEST(Linear, BatchRejectsMismatchedColumns) {
    const QMatrixBuffer a = make_weights(*Format::parse("int4_g32_sym"), 8, 64, 1);
    const QMatrixBuffer b = make_weights(*Format::parse("int4_g32_sym"), 8, 96, 2);
    const auto va = a.view(), vb = b.view();
    std::vector<float> x(96, 1.0f), ya(8), yb(8);
    const LinearOut outs[] = {{&va, nullptr, ya.data(), 0}, {&vb, nullptr, yb.data(), 0}};
    EXPECT_THROW(linear_batch(Compute{}, x.data(), 1, outs), Error);
}
