// Format names, layouts, bits per weight, the group-size fallback, code packing and dequantization.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "core/error.h"
#include "core/half.h"
#include "core/cpu_features.h"
#include "qformat/codes.h"
#include "qformat/dequant.h"
#include "qformat/format.h"
#include "qformat/format_traits.h"
#include "qformat/qmatrix.h"

using namespace vlmq;
using namespace vlmq::qformat;

TEST(Format, NameParseRoundTrip) {
    std::vector<Format> all = {Format::f32(), Format::f16(), Format::bf16()};
    for (int bits = 2; bits <= 8; ++bits)
        for (int g : {0, 32, 64, 128})
            for (bool sym : {true, false}) all.push_back(Format::integer(bits, g, sym));
    for (const Format& f : all) {
        const auto p = Format::parse(f.name());
        ASSERT_TRUE(p.has_value()) << f.name();
        EXPECT_EQ(*p, f) << f.name();
    }
    EXPECT_EQ(Format::integer(4, 32, true).name(), "int4_g32_sym");
    EXPECT_EQ(Format::integer(8, 0, true).name(), "int8_row_sym");
    EXPECT_EQ(Format::integer(3, 64, false).name(), "int3_g64_aff");
}

TEST(Format, ParseRejectsJunk) {
    for (const char* s : {"", "f64", "int", "int4", "int4_g32", "int4_g32_", "int4_g32_sy", "int1_g32_sym",
                          "int9_g32_sym", "int4_g0_sym", "int4_g-32_sym", "int4_gx_sym", "int4_32_sym",
                          "int4_row_sym_x", "INT4_g32_sym", "int4_g32_sym ", " f32", "int04x_g32_sym"})
        EXPECT_FALSE(Format::parse(s).has_value()) << s;
}

TEST(Format, LayoutSizes) {
    const Layout a = layout_of(Format::integer(4, 32, true), 3, 96);
    EXPECT_EQ(a.group, 32);
    EXPECT_EQ(a.groups_per_row, 3);
    EXPECT_EQ(a.row_bytes, 48);
    EXPECT_EQ(a.code_bytes(), 144);
    EXPECT_EQ(a.scale_count(), 9);
    const Layout b = layout_of(Format::integer(3, 0, false), 2, 27);  // 81 bits -> 11 bytes per row
    EXPECT_EQ(b.group, 27);
    EXPECT_EQ(b.groups_per_row, 1);
    EXPECT_EQ(b.row_bytes, 11);
    EXPECT_EQ(layout_of(Format::bf16(), 5, 7).row_bytes, 14);
    EXPECT_EQ(layout_of(Format::f32(), 5, 7).row_bytes, 28);
    EXPECT_EQ(stored_bytes(Format::integer(4, 32, false), 10, 64), 10 * 32 + 10 * 2 * 2 * 2);
    EXPECT_EQ(stored_bytes(Format::f16(), 10, 64), 1280);
    EXPECT_THROW(layout_of(Format::integer(4, 32, true), 1, 48), Error);
    EXPECT_THROW(layout_of(Format::integer(9, 32, true), 1, 64), Error);
}

TEST(FormatTraits, StoredTensorsAndDtypes) {
    using Part = StoredTensor::Part;
    for (const EncodingTraits& t : kEncodingTraits) EXPECT_EQ(&traits_of(t.encoding), &t);
    EXPECT_EQ(stored_dtype(Format::f32()), DType::F32);
    EXPECT_EQ(stored_dtype(Format::bf16()), DType::BF16);
    EXPECT_EQ(stored_dtype(Format::integer(4, 32, true)), DType::U8);
    EXPECT_EQ(element_bits(Format::f16()), 16);
    EXPECT_EQ(element_bits(Format::integer(3, 0, false)), 3);
    EXPECT_EQ(float_format_of(DType::F16), Format::f16());
    EXPECT_EQ(float_format_of(DType::F32), Format::f32());
    EXPECT_FALSE(float_format_of(DType::U8).has_value());

    const auto f = stored_tensors(Format::bf16(), 6, 12, {6, 3, 2, 2});
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].part, Part::Elements);
    EXPECT_EQ(f[0].dtype, DType::BF16);
    EXPECT_EQ(f[0].shape, (std::vector<int64_t>{6, 3, 2, 2}));
    const auto q = stored_tensors(Format::integer(4, 32, false), 3, 96, {3, 96});
    ASSERT_EQ(q.size(), 3u);
    EXPECT_EQ(q[0].part, Part::Elements);
    EXPECT_EQ(q[0].dtype, DType::U8);
    EXPECT_EQ(q[0].shape, (std::vector<int64_t>{3, 48}));
    EXPECT_EQ(q[1].part, Part::Scales);
    EXPECT_EQ(q[1].dtype, DType::F16);
    EXPECT_EQ(q[1].shape, (std::vector<int64_t>{3, 3}));
    EXPECT_EQ(q[2].part, Part::Biases);
    EXPECT_EQ(stored_tensors(Format::integer(8, 0, true), 2, 5, {2, 5}).size(), 2u);
    EXPECT_THROW(stored_tensors(Format::integer(4, 32, true), 1, 48, {1, 48}), Error);
}

TEST(Format, BitsPerWeight) {
    EXPECT_DOUBLE_EQ(Format::integer(4, 32, true).bits_per_weight(896), 4.5);
    EXPECT_DOUBLE_EQ(Format::integer(4, 32, false).bits_per_weight(896), 5.0);
    EXPECT_DOUBLE_EQ(Format::integer(4, 64, true).bits_per_weight(896), 4.25);
    EXPECT_DOUBLE_EQ(Format::integer(4, 128, false).bits_per_weight(896), 4.25);
    EXPECT_DOUBLE_EQ(Format::integer(8, 32, true).bits_per_weight(896), 8.5);
    EXPECT_DOUBLE_EQ(Format::integer(8, 0, true).bits_per_weight(896), 8.0 + 16.0 / 896.0);  // ~8.018
    EXPECT_DOUBLE_EQ(Format::integer(2, 32, false).bits_per_weight(4864), 3.0);
    EXPECT_DOUBLE_EQ(Format::integer(3, 128, true).bits_per_weight(4864), 3.125);
    EXPECT_DOUBLE_EQ(Format::f16().bits_per_weight(896), 16.0);
    EXPECT_DOUBLE_EQ(Format::bf16().bits_per_weight(27), 16.0);
    EXPECT_DOUBLE_EQ(Format::f32().bits_per_weight(27), 32.0);
    // 27 3-bit codes need 11 bytes (88 bits) + one fp16 scale.
    EXPECT_DOUBLE_EQ(Format::integer(3, 0, true).bits_per_weight(27), 104.0 / 27.0);
}

TEST(Format, FitGroupSize) {
    auto fit = [](const char* name, int64_t cols, std::string* note = nullptr) {
        return fit_group_size(*Format::parse(name), cols, note).name();
    };
    std::string note;
    EXPECT_EQ(fit("int4_g32_sym", 27, &note), "int4_row_sym");
    EXPECT_EQ(note, "group 32 -> row (cols 27)");
    EXPECT_EQ(fit("int4_g128_sym", 896), "int4_g128_sym");  // 896 = 7 * 128
    EXPECT_EQ(fit("int4_g64_aff", 96, &note), "int4_g32_aff");
    EXPECT_EQ(note, "group 64 -> 32 (cols 96)");
    EXPECT_EQ(fit("int4_g128_sym", 192), "int4_g64_sym");
    EXPECT_EQ(fit("int4_g128_sym", 160), "int4_g32_sym");
    EXPECT_EQ(fit("int8_g32_sym", 49), "int8_row_sym");
    EXPECT_EQ(fit("int8_g256_sym", 384), "int8_g128_sym");  // largest of 128/64/32 below 256 that divides
    EXPECT_EQ(fit("int8_row_sym", 27), "int8_row_sym");
    EXPECT_EQ(fit("bf16", 27), "bf16");
    note.clear();
    EXPECT_EQ(fit("int4_g32_sym", 4864, &note), "int4_g32_sym");
    EXPECT_EQ(note, "");
}

TEST(Codes, PackUnpackRoundTripAllWidths) {
    std::mt19937 rng(7);
    for (int bits = 2; bits <= 8; ++bits)
        for (int64_t n : {1, 7, 8, 9, 27, 32, 49, 96, 131}) {
            std::vector<uint8_t> codes(static_cast<size_t>(n));
            for (auto& c : codes) c = uint8_t(rng() & ((1u << bits) - 1));
            const size_t nbytes = size_t((n * bits + 7) / 8);
            std::vector<uint8_t> ref(nbytes + 1, 0xAA), fast(nbytes + 1, 0xAA);
            pack_codes_ref(codes.data(), n, bits, ref.data());
            pack_codes(codes.data(), n, bits, fast.data());
            EXPECT_EQ(ref, fast) << bits << " bits, n " << n;  // incl. the untouched guard byte
            EXPECT_EQ(fast[nbytes], 0xAA);
            std::vector<uint8_t> back(static_cast<size_t>(n)), back_ref(static_cast<size_t>(n));
            unpack_codes(fast.data(), n, bits, back.data());
            unpack_codes_ref(fast.data(), n, bits, back_ref.data());
            EXPECT_EQ(back, codes);
            EXPECT_EQ(back_ref, codes);
        }
}

TEST(Codes, BitStreamIsLsbFirst) {
    // 3-bit codes 1..8 (mod 8): element j at bits [3j, 3j+3).
    const uint8_t codes[8] = {1, 2, 3, 4, 5, 6, 7, 0};
    uint8_t out[3];
    pack_codes(codes, 8, 3, out);
    uint32_t v = out[0] | out[1] << 8 | out[2] << 16;
    for (int j = 0; j < 8; ++j) EXPECT_EQ((v >> (3 * j)) & 7u, codes[j]);
    // 4-bit: element 2j in the low nibble of byte j.
    const uint8_t nib[2] = {0x3, 0xC};
    pack_codes(nib, 2, 4, out);
    EXPECT_EQ(out[0], 0xC3);
}

namespace {

QMatrixBuffer random_matrix(const Format& f, int64_t rows, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    QMatrixBuffer q(f, rows, cols);
    for (auto& b : q.data) b = uint8_t(rng());
    // Scales/biases: random finite fp16 values of both signs, incl. zero and subnormals.
    for (auto& s : q.scales) {
        uint16_t h = uint16_t(rng());
        if ((h & 0x7c00) == 0x7c00) h &= 0x83ff;
        s = h;
    }
    for (auto& s : q.biases) s = uint16_t(rng() & 0xbfff);
    return q;
}

}  // namespace

TEST(Dequant, Avx2MatchesReferenceBitForBit) {
    if (!cpu_has_avx2()) GTEST_SKIP() << "no AVX2";
    std::vector<Format> fmts = {Format::f32(), Format::f16(), Format::bf16()};
    for (int bits = 2; bits <= 8; ++bits)
        for (int g : {0, 32, 64, 128})
            for (bool sym : {true, false}) fmts.push_back(Format::integer(bits, g, sym));
    fmts.push_back(Format::integer(3, 24, true));  // groups not aligned to 8 elements in the bit stream
    fmts.push_back(Format::integer(5, 12, false));
    for (const Format& f : fmts)
        for (int64_t cols : {27, 49, 96, 384, 896}) {
            const Format ff = fit_group_size(f, cols, nullptr);
            if (ff.is_int() && ff.group_size && cols % ff.group_size) continue;
            const int64_t rows = 3;
            const QMatrixBuffer q = random_matrix(ff, rows, cols, uint32_t(cols * 31 + ff.bits));
            std::vector<float> ref(static_cast<size_t>(rows * cols)), fast(size_t(rows * cols), -1.0f);
            for (int64_t r = 0; r < rows; ++r) dequantize_row_ref(q.view(), r, ref.data() + r * cols);
            dequantize_rows({}, q.view(), 0, rows, fast.data());
            ASSERT_EQ(0, std::memcmp(ref.data(), fast.data(), ref.size() * 4)) << ff.name() << " cols " << cols;
            // K-slices, as the GEMM packers request them.
            for (auto [k0, k1] : {std::pair<int64_t, int64_t>{0, cols}, {8, cols}, {1, cols - 1}, {cols / 2, cols}})
                for (bool scalar : {true, false}) {
                    std::vector<float> part(static_cast<size_t>(k1 - k0));
                    Compute c;
                    c.reference = scalar;
                    dequantize_row_range(c, q.view(), 2, k0, k1, part.data());
                    ASSERT_EQ(0, std::memcmp(part.data(), ref.data() + 2 * cols + k0, part.size() * 4))
                        << ff.name() << " cols " << cols << " [" << k0 << "," << k1 << ") scalar " << scalar;
                }
        }
}

TEST(Dequant, KnownValues) {
    // int4 sym g32: scale 0.5, codes 0..15 -> (u - 8) * 0.5; affine: scale 0.25, bias -1 -> u*0.25 - 1.
    for (bool sym : {true, false}) {
        QMatrixBuffer q(Format::integer(4, 32, sym), 1, 32);
        std::vector<uint8_t> codes(32);
        for (int j = 0; j < 32; ++j) codes[size_t(j)] = uint8_t(j % 16);
        pack_codes(codes.data(), 32, 4, q.data.data());
        q.scales[0] = f32_to_f16(sym ? 0.5f : 0.25f);
        if (!sym) q.biases[0] = f32_to_f16(-1.0f);
        for (bool ref : {true, false}) {
            std::vector<float> out(32);
            Compute c;
            c.reference = ref;
            dequantize_rows(c, q.view(), 0, 1, out.data());
            for (int j = 0; j < 32; ++j)
                EXPECT_EQ(out[size_t(j)], sym ? (j % 16 - 8) * 0.5f : (j % 16) * 0.25f - 1.0f) << j;
        }
    }
}

TEST(Dequant, ConvertToF32AllHalfValues) {
    std::vector<uint16_t> all(65536);
    for (int i = 0; i < 65536; ++i) all[size_t(i)] = uint16_t(i);
    for (DType dt : {DType::F16, DType::BF16}) {
        std::vector<float> ref(65536), fast(65536);
        Compute c;
        c.reference = true;
        convert_to_f32(c, all.data(), dt, 65536, ref.data());
        c.reference = false;
        convert_to_f32(c, all.data() + 1, dt, 65535, fast.data());  // odd start and length
        for (int i = 1; i < 65536; ++i)
            ASSERT_EQ(bits_from_f32(ref[size_t(i)]), bits_from_f32(fast[size_t(i - 1)])) << dtype_name(dt) << " " << i;
        EXPECT_EQ(ref[0x3c00 * (dt == DType::F16)], dt == DType::F16 ? 1.0f : 0.0f);
    }
    EXPECT_THROW(convert_to_f32({}, all.data(), DType::I32, 4, nullptr), Error);
}
