// RTN: AVX2 == scalar byte for byte, error bounds, golden codes, failure messages.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "core/error.h"
#include "core/half.h"
#include "core/cpu_features.h"
#include "qformat/dequant.h"
#include "qformat/format.h"
#include "rounding/rtn.h"

using namespace vlmq;
using namespace vlmq::qformat;
using rounding::quantize_rtn;

namespace {

// Gaussian rows plus rows that exercise the rules: ties between +a and -a, all zeros (with -0),
// constants, tiny values (subnormal fp16 scales), large values, and positive-only rows.
std::vector<float> test_data(int64_t rows, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> w(static_cast<size_t>(rows * cols));
    for (auto& v : w) v = nd(rng) * 0.05f;
    for (int64_t r = 0; r < rows; ++r) {
        float* x = w.data() + r * cols;
        switch (r % 8) {
            case 1:  // +a before -a in every 8-block, the tie case
                for (int64_t j = 0; j + 4 < cols; j += 8) {
                    x[j + 1] = 0.25f;
                    x[j + 4] = -0.25f;
                }
                break;
            case 2:
                for (int64_t j = 0; j < cols; ++j) x[j] = (j % 3) ? 0.0f : -0.0f;
                break;
            case 3:
                for (int64_t j = 0; j < cols; ++j) x[j] = 0.75f;
                break;
            case 4:
                for (int64_t j = 0; j < cols; ++j) x[j] *= 1e-5f;
                break;
            case 5:
                for (int64_t j = 0; j < cols; ++j) x[j] = std::fabs(x[j]) * 300.0f + 1.0f;
                break;
            case 6:  // -a before +a
                for (int64_t j = 0; j + 6 < cols; j += 8) {
                    x[j + 2] = -0.5f;
                    x[j + 6] = 0.5f;
                }
                break;
            default: break;
        }
    }
    return w;
}

// src in the given dtype (values rounded to it).
std::vector<uint8_t> as_dtype(const std::vector<float>& w, DType dt) {
    std::vector<uint8_t> out(w.size() * dtype_size(dt));
    for (size_t i = 0; i < w.size(); ++i) {
        if (dt == DType::F32) {
            std::memcpy(out.data() + 4 * i, &w[i], 4);
        } else {
            const uint16_t h = dt == DType::F16 ? f32_to_f16(w[i]) : f32_to_bf16(w[i]);
            std::memcpy(out.data() + 2 * i, &h, 2);
        }
    }
    return out;
}

std::vector<float> to_f32(const std::vector<uint8_t>& src, DType dt, size_t n) {
    std::vector<float> out(n);
    Compute c;
    c.reference = true;
    convert_to_f32(c, src.data(), dt, int64_t(n), out.data());
    return out;
}

QMatrixBuffer quantize(const Format& f, int64_t rows, int64_t cols, const void* src, DType dt, bool reference,
                       ThreadPool* pool = nullptr) {
    QMatrixBuffer q(f, rows, cols);
    Compute c;
    c.reference = reference;
    c.pool = pool;
    quantize_rtn(c, src, dt, q.mut());
    return q;
}

std::vector<Format> int_formats() {
    std::vector<Format> fmts;
    for (int bits : {2, 3, 4, 5, 6, 7, 8})
        for (int g : {32, 64, 128, 0})
            for (bool sym : {true, false}) fmts.push_back(Format::integer(bits, g, sym));
    return fmts;
}

std::vector<float> dequant(const QMatrixBuffer& q) {
    std::vector<float> out(static_cast<size_t>(q.rows * q.cols));
    Compute c;
    c.reference = true;
    dequantize_rows(c, q.view(), 0, q.rows, out.data());
    return out;
}

}  // namespace

TEST(Rtn, Avx2MatchesScalarByteForByte) {
    if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2";
    ThreadPool pool(2);
    int checked = 0;
    for (const Format& f : int_formats())
        for (int64_t cols : {32, 96, 896, 4864, 27, 49})
            for (DType dt : {DType::F32, DType::BF16, DType::F16}) {
                if (f.group_size && cols % f.group_size) continue;
                const int64_t rows = cols > 1000 ? 9 : 17;
                const auto src = as_dtype(test_data(rows, cols, uint32_t(cols + f.bits)), dt);
                const QMatrixBuffer a = quantize(f, rows, cols, src.data(), dt, true);
                const QMatrixBuffer b = quantize(f, rows, cols, src.data(), dt, false, &pool);
                ASSERT_EQ(a.data, b.data) << f.name() << " cols " << cols << " " << dtype_name(dt);
                ASSERT_EQ(a.scales, b.scales) << f.name() << " cols " << cols << " " << dtype_name(dt);
                ASSERT_EQ(a.biases, b.biases) << f.name() << " cols " << cols << " " << dtype_name(dt);
                ++checked;
            }
    EXPECT_EQ(checked, 7 * 2 * (4 + 2 + 2 + 6) * 3);
    // Groups that do not start on byte boundaries of the bit stream (24 x 3 bits, 12 x 5 bits, ...).
    // Built directly: format names only take the group sizes of qformat::kGroupSizes.
    for (const Format& f : {Format::integer(3, 24, true), Format::integer(5, 12, false), Format::integer(6, 8, true),
                            Format::integer(7, 16, false), Format::integer(2, 4, true)})
        for (DType dt : {DType::F32, DType::BF16}) {
            const std::string name = f.name();
            const auto src = as_dtype(test_data(9, 96, 5), dt);
            const QMatrixBuffer a = quantize(f, 9, 96, src.data(), dt, true);
            const QMatrixBuffer b = quantize(f, 9, 96, src.data(), dt, false, &pool);
            EXPECT_EQ(a.data, b.data) << name;
            EXPECT_EQ(a.scales, b.scales) << name;
            EXPECT_EQ(a.biases, b.biases) << name;
        }
}

TEST(Rtn, FloatTargetsMatchHalfConversions) {
    // Specials: signed zeros, infinities, NaNs, fp16 subnormals and overflow, rounding ties for both.
    std::vector<float> w = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f, -2.5f, 65504.0f, 65520.0f, 1e-7f,
                            5.96e-8f, 2.98e-8f, f32_from_bits(0x3f808000), f32_from_bits(0x3f818000),
                            f32_from_bits(0x3f800fff), f32_from_bits(0x3f801000), f32_from_bits(0x3f803000),
                            f32_from_bits(0x7f800001), f32_from_bits(0xffc00123), 3.3e38f, -1e-40f};
    std::mt19937 rng(3);
    while (w.size() < 8 * 41 + 5) w.push_back(f32_from_bits(rng()));
    const int64_t rows = 8, cols = int64_t(w.size()) / 8;
    w.resize(size_t(rows * cols));
    for (DType dt : {DType::F32, DType::F16, DType::BF16}) {
        const auto src = as_dtype(w, dt);
        const auto wf = to_f32(src, dt, w.size());
        for (const Format& f : {Format::f32(), Format::f16(), Format::bf16()}) {
            const QMatrixBuffer a = quantize(f, rows, cols, src.data(), dt, true);
            const QMatrixBuffer b = quantize(f, rows, cols, src.data(), dt, false);
            EXPECT_EQ(a.data, b.data) << f.name() << " from " << dtype_name(dt);
            for (size_t i = 0; i < w.size(); ++i) {
                uint32_t got = 0, want = 0;
                if (f == Format::f32()) {
                    std::memcpy(&got, a.data.data() + 4 * i, 4);
                    want = bits_from_f32(wf[i]);
                } else {
                    uint16_t h;
                    std::memcpy(&h, a.data.data() + 2 * i, 2);
                    got = h;
                    want = f == Format::f16() ? f32_to_f16(wf[i]) : f32_to_bf16(wf[i]);
                }
                ASSERT_EQ(got, want) << f.name() << " from " << dtype_name(dt) << " element " << i;
            }
        }
    }
}

// Every element is within half a step of its stored grid (plus the fp16 rounding of the parameters);
// symmetric groups whose extreme is negative can clip the top positive values by up to one step.
TEST(Rtn, PerElementErrorBound) {
    const int64_t rows = 17, cols = 896;
    const auto w = test_data(rows, cols, 11);
    for (const Format& f : int_formats()) {
        const QMatrixBuffer q = quantize(f, rows, cols, w.data(), DType::F32, false);
        const auto wq = dequant(q);
        const Layout l = q.view().layout();
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t g = 0; g < l.groups_per_row; ++g) {
                const float s = std::fabs(f16_to_f32(q.scales[size_t(r * l.groups_per_row + g)]));
                float amax = 0.0f;
                for (int64_t j = g * l.group; j < (g + 1) * l.group; ++j) amax = std::max(amax, std::fabs(w[size_t(r * cols + j)]));
                for (int64_t j = g * l.group; j < (g + 1) * l.group; ++j) {
                    const size_t i = size_t(r * cols + j);
                    const double err = std::fabs(double(w[i]) - wq[i]);
                    // fp16 parameters are within 2^-11 relative; the grid spans 2^b steps of s.
                    // (absolute 2^-25 below the fp16 normal range, where scales are subnormal).
                    const double slack = (amax * std::ldexp(1.0, -11) + std::ldexp(1.0, -25)) * std::ldexp(1.0, f.bits) +
                                         1e-6 * amax;
                    double bound = 0.5 * s + slack;
                    if (f.symmetric) {
                        const double top = (std::ldexp(1.0, f.bits - 1) - 1) * s;
                        bound = std::max(bound, std::fabs(double(w[i])) - top + slack);
                    }
                    ASSERT_LE(err, bound) << f.name() << " row " << r << " col " << j << " w " << w[i];
                }
            }
    }
}

// Relative Frobenius error ||W - Wq|| / ||W|| on N(0, 1) data: measured values (this data, this seed)
// with ~3% headroom, so a regression in the rounding rule shows up.
TEST(Rtn, RelativeFrobeniusErrorOnGaussianData) {
    const int64_t rows = 64, cols = 896;
    std::mt19937 rng(5);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> w(static_cast<size_t>(rows * cols));
    for (auto& v : w) v = nd(rng);
    struct Case {
        const char* name;
        double bound;
    };
    const Case cases[] = {
        {"int8_row_sym", 0.0079}, {"int8_g32_sym", 0.0055}, {"int8_g32_aff", 0.0048},  {"int6_g32_sym", 0.0218},
        {"int5_g64_aff", 0.0446}, {"int4_g32_sym", 0.0883}, {"int4_g32_aff", 0.0809},  {"int4_g64_sym", 0.0972},
        {"int4_g128_sym", 0.1057}, {"int4_row_sym", 0.1262}, {"int3_g32_sym", 0.1797}, {"int2_g32_aff", 0.4066},
    };
    for (const Case& cs : cases) {
        const Format f = *Format::parse(cs.name);
        const QMatrixBuffer q = quantize(f, rows, cols, w.data(), DType::F32, false);
        const auto wq = dequant(q);
        double num = 0, den = 0;
        for (size_t i = 0; i < w.size(); ++i) {
            num += (double(w[i]) - wq[i]) * (double(w[i]) - wq[i]);
            den += double(w[i]) * w[i];
        }
        const double rel = std::sqrt(num / den);
        std::printf("%-14s rel_frob %.5f\n", cs.name, rel);
        EXPECT_LE(rel, cs.bound) << cs.name;
        EXPECT_GE(rel, cs.bound * 0.9) << cs.name << ": better than expected; tighten the bound";
    }
}

TEST(Rtn, GoldenInt4Sym) {
    // w_j = (j - 16) / 4: m = -4 -> s = 0.5 (0x3800); q = rne((j - 16) / 2), 7.5 clamps to 7.
    std::vector<float> w(32);
    for (int j = 0; j < 32; ++j) w[size_t(j)] = float(j - 16) * 0.25f;
    const uint8_t want[16] = {0x00, 0x21, 0x22, 0x43, 0x44, 0x65, 0x66, 0x87,
                              0x88, 0xA9, 0xAA, 0xCB, 0xCC, 0xED, 0xEE, 0xFF};
    for (bool ref : {true, false}) {
        const QMatrixBuffer q = quantize(Format::integer(4, 32, true), 1, 32, w.data(), DType::F32, ref);
        EXPECT_EQ(q.scales[0], 0x3800);
        EXPECT_EQ(std::vector<uint8_t>(want, want + 16), q.data);
    }
}

TEST(Rtn, GoldenInt3RowSymOddCols) {
    // m = -0.4 -> s = fp16(0.1) = 0x2E66; q = 1, -4, 3 (2.5006 rounds up), 0, 3 -> u = 5, 0, 7, 4, 7.
    const float w[5] = {0.1f, -0.4f, 0.25f, 0.0f, 0.3f};
    for (bool ref : {true, false}) {
        const QMatrixBuffer q = quantize(Format::integer(3, 0, true), 1, 5, w, DType::F32, ref);
        EXPECT_EQ(q.scales[0], 0x2E66);
        EXPECT_EQ(q.data, (std::vector<uint8_t>{0xC5, 0x79}));  // 5 | 0<<3 | 7<<6 | 4<<9 | 7<<12
    }
}

TEST(Rtn, SpecialGroups) {
    // All zeros (with -0): s = +0 and code 2^(b-1) (sym) / s = m = +0 and code 0 (affine).
    std::vector<float> z(32, 0.0f);
    z[3] = -0.0f;
    for (bool ref : {true, false}) {
        const QMatrixBuffer qs = quantize(Format::integer(4, 32, true), 1, 32, z.data(), DType::F32, ref);
        EXPECT_EQ(qs.scales[0], 0);
        EXPECT_EQ(qs.data, std::vector<uint8_t>(16, 0x88));
        const QMatrixBuffer qa = quantize(Format::integer(4, 32, false), 1, 32, z.data(), DType::F32, ref);
        EXPECT_EQ(qa.scales[0], 0);
        EXPECT_EQ(qa.biases[0], 0);
        EXPECT_EQ(qa.data, std::vector<uint8_t>(16, 0));
    }
    // Tie: the first of +0.5 / -0.5 decides the sign of the scale.
    std::vector<float> t(32, 0.1f);
    t[5] = 0.5f;
    t[20] = -0.5f;
    for (bool ref : {true, false}) {
        const QMatrixBuffer q = quantize(Format::integer(8, 32, true), 1, 32, t.data(), DType::F32, ref);
        EXPECT_EQ(f16_to_f32(q.scales[0]), 0.5f / -128.0f);
        EXPECT_EQ(q.data[5], 0);
        EXPECT_EQ(q.data[20], 255);  // +128 clips to +127
    }
}

TEST(Rtn, RowRangeOnlyTouchesItsRows) {
    const int64_t rows = 6, cols = 64;
    const auto w = test_data(rows, cols, 2);
    const QMatrixBuffer full = quantize(Format::integer(4, 32, false), rows, cols, w.data(), DType::F32, false);
    QMatrixBuffer part(Format::integer(4, 32, false), rows, cols);
    rounding::quantize_rtn_rows({}, w.data(), DType::F32, part.mut(), 2, 3);
    for (int64_t r = 0; r < rows; ++r) {
        const bool in = r >= 2 && r < 5;
        for (int64_t j = 0; j < 32; ++j)
            EXPECT_EQ(part.data[size_t(r * 32 + j)], in ? full.data[size_t(r * 32 + j)] : 0) << r;
        EXPECT_EQ(part.scales[size_t(r * 2)], in ? full.scales[size_t(r * 2)] : 0) << r;
    }
}

TEST(Rtn, FailsOnNonFiniteAndOverflow) {
    for (bool ref : {true, false})
        for (bool sym : {true, false}) {
            std::vector<float> w(2 * 64, 0.5f);
            w[64 + 40] = NAN;
            try {
                quantize(Format::integer(4, 32, sym), 2, 64, w.data(), DType::F32, ref);
                FAIL() << "no error";
            } catch (const Error& e) {
                EXPECT_STREQ(e.what(), "row 1, group 1: non-finite weight");
            }
            w[64 + 40] = -INFINITY;
            EXPECT_THROW(quantize(Format::integer(4, 32, sym), 2, 64, w.data(), DType::F32, ref), Error);
            w[64 + 40] = 3e9f;  // scale 3e9 / 8 (or / 15) is beyond fp16
            try {
                quantize(Format::integer(4, 32, sym), 2, 64, w.data(), DType::F32, ref);
                FAIL() << "no error";
            } catch (const Error& e) {
                EXPECT_NE(std::string(e.what()).find("row 1, group 1: scale"), std::string::npos) << e.what();
            }
        }
    std::vector<int32_t> ints(64);
    EXPECT_THROW(quantize(Format::integer(4, 32, true), 1, 64, ints.data(), DType::I32, false), Error);
}

TEST(Rtn, GroupHelpersMatchRowQuantizer) {
    // A data-aware algorithm calling quantize_group with the RTN scale reproduces RTN's codes.
    const auto w = test_data(1, 64, 9);
    const QMatrixBuffer q = quantize(Format::integer(5, 64, false), 1, 64, w.data(), DType::F32, false);
    const rounding::GroupScale p = rounding::rtn_group_params(w.data(), 64, 5, false);
    EXPECT_EQ(p.scale, q.scales[0]);
    EXPECT_EQ(p.bias, q.biases[0]);
    std::vector<uint8_t> codes(64), packed(40);
    rounding::quantize_group(w.data(), 64, 5, false, p, codes.data());
    pack_codes_ref(codes.data(), 64, 5, packed.data());
    EXPECT_EQ(packed, q.data);
}
