// Core ML export, format level: protobuf wire bytes, Model/MIL round trips, the blob storage file, sub-byte
// packing, and weight storage (every vlmq format x target decoded back by the interpreter).
#include <gtest/gtest.h>

#include "test_util.h"

#include <cmath>
#include <cstring>
#include <random>

#include "core/error.h"
#include "core/half.h"
#include "export/coreml/blob_storage.h"
#include "export/coreml/interpreter.h"
#include "export/coreml/mil_builder.h"
#include "export/coreml/mil_proto.h"
#include "export/coreml/protobuf_wire.h"
#include "export/coreml/weight_encoding.h"
#include "rounding/rtn.h"

using namespace vlmq;
using namespace vlmq::exporters::coreml;

namespace {

std::string hex(std::string_view s) {
    std::string out;
    for (unsigned char c : s) out += fmt::format("{:02x}", c);
    return out;
}

using vlmq::test::error_of;

Value make_value(TensorType type, std::variant<Immediate, BlobRef> data) {
    Value v;
    v.type = std::move(type);
    v.data = std::move(data);
    return v;
}

}  // namespace

TEST(CoremlWire, VarintsAndFieldsHaveProtobufBytes) {
    pb::Writer w;
    w.varint_field(1, 300);     // 08 ac 02
    w.int32_field(2, -1);       // 10 ff ff ff ff ff ff ff ff ff 01
    w.string_field(3, "hi");    // 1a 02 68 69
    w.varint_field(4, 0);       // default: not written
    w.packed_floats(5, {1.0f}); // 2a 04 00 00 80 3f
    EXPECT_EQ(hex(w.bytes()), "08ac0210ffffffffffffffffff011a0268692a040000803f");

    pb::Reader r(w.bytes(), "test");
    pb::Field f;
    ASSERT_TRUE(r.next(f));
    EXPECT_EQ(f.number, 1u);
    EXPECT_EQ(f.value, 300u);
    ASSERT_TRUE(r.next(f));
    EXPECT_EQ(f.as_int32(), -1);
    ASSERT_TRUE(r.next(f));
    EXPECT_EQ(f.data, "hi");
    ASSERT_TRUE(r.next(f));
    EXPECT_EQ(pb::Reader::floats(f, "t"), std::vector<float>{1.0f});
    EXPECT_FALSE(r.next(f));

    const std::string cut = w.bytes().substr(0, 16);  // inside the string field
    pb::Reader bad(cut, "cut.pb");
    EXPECT_NE(error_of([&] { while (bad.next(f)) {} }).find("cut.pb: field 3 claims 2 bytes"), std::string::npos);
}

TEST(CoremlWire, ModelRoundTripsThroughTheEncoder) {
    ModelSpec m;
    m.specification_version = 9;
    m.inputs.push_back({"x", "", {1, 4}, ArrayDataType::Float32});
    m.outputs.push_back({"y", "out", {1, 4}, ArrayDataType::Float32});
    m.user_defined = {{"k", "v"}};
    Function fn;
    fn.opset = "CoreML8";
    fn.inputs.push_back({"x", {DataType::Float32, {1, 4}}});
    Operation c;
    c.type = "const";
    c.attributes["name"] = scalar_string("w");
    Immediate bytes;
    bytes.field = Immediate::Field::Bytes;
    bytes.bytes = std::string("\x01\x80", 2);
    c.attributes["val"] = make_value({DataType::Int8, {2}}, bytes);
    c.outputs.push_back({"w", {DataType::Int8, {2}}});
    Operation op;
    op.type = "mul";
    op.inputs["x"] = {Binding{"x", std::nullopt}};
    op.inputs["y"] = {Binding{"", scalar_fp32(-2.5f)}};
    op.attributes["name"] = scalar_string("y");
    op.attributes["flag"] = scalar_bool(false);
    op.attributes["v"] = vector_int32({-3, 7});
    op.attributes["blob"] = make_value({DataType::Float16, {3, 5}}, BlobRef{kWeightFile, 128});
    op.outputs.push_back({"y", {DataType::Float32, {1, 4}}});
    fn.block.operations = {c, op};
    fn.block.outputs = {"y"};
    m.program.functions["main"] = fn;

    const std::string bytes1 = encode_model(m);
    EXPECT_EQ(hex(bytes1.substr(0, 2)), "0809");  // specificationVersion = 9
    const ModelSpec d = decode_model(bytes1, "mem");
    EXPECT_EQ(encode_model(d), bytes1);  // decode -> encode is the identity
    EXPECT_EQ(d.specification_version, 9);
    ASSERT_EQ(d.inputs.size(), 1u);
    EXPECT_EQ(d.inputs[0].shape, (std::vector<int64_t>{1, 4}));
    EXPECT_EQ(d.user_defined.at("k"), "v");
    const Function& f2 = d.program.functions.at("main");
    EXPECT_EQ(f2.opset, "CoreML8");
    ASSERT_EQ(f2.block.operations.size(), 2u);
    const Operation& o2 = f2.block.operations[1];
    EXPECT_EQ(o2.type, "mul");
    EXPECT_EQ(std::get<Immediate>(o2.inputs.at("y")[0].value->data).floats, std::vector<float>{-2.5f});
    EXPECT_EQ(std::get<Immediate>(o2.attributes.at("v").data).ints, (std::vector<int64_t>{-3, 7}));
    EXPECT_EQ(std::get<Immediate>(o2.attributes.at("flag").data).ints, std::vector<int64_t>{0});
    EXPECT_EQ(std::get<BlobRef>(o2.attributes.at("blob").data).offset, 128u);
    EXPECT_EQ(o2.attributes.at("blob").type, (TensorType{DataType::Float16, {3, 5}}));
    EXPECT_EQ(std::get<Immediate>(f2.block.operations[0].attributes.at("val").data).bytes, std::string("\x01\x80", 2));

    EXPECT_NE(error_of([&] { decode_model(bytes1.substr(0, bytes1.size() - 3), "trunc.mlmodel"); }).find("trunc.mlmodel"),
              std::string::npos);
    EXPECT_NE(error_of([&] { decode_model(std::string("\x08\x09", 2), "nn.mlmodel"); }).find("not an ML Program"),
              std::string::npos);
}

TEST(CoremlBlob, FileLayoutMatchesTheStorageFormat) {
    BlobWriter w;
    const std::vector<float> a(3, 1.5f);
    const uint64_t off_a = w.append_fp32(a);
    const std::vector<int32_t> codes{-8, 7, 1};  // int4: 3 values -> 2 bytes, 4 padding bits
    const auto packed = pack_subbyte(codes, 4);
    EXPECT_EQ(packed, (std::vector<uint8_t>{0x78, 0x01}));
    const uint64_t off_b = w.append(DataType::Int4, 3, packed);
    EXPECT_EQ(off_a, 64u);
    EXPECT_EQ(off_b, 192u);  // 64 + 64 + 12 = 140 -> next 64-byte boundary
    const auto& bytes = w.bytes();
    ASSERT_EQ(bytes.size(), 192u + 64 + 2);  // the file ends right after the last data
    auto u32 = [&](size_t o) { uint32_t v; std::memcpy(&v, bytes.data() + o, 4); return v; };
    auto u64 = [&](size_t o) { uint64_t v; std::memcpy(&v, bytes.data() + o, 8); return v; };
    EXPECT_EQ(u32(0), 2u);  // count
    EXPECT_EQ(u32(4), 2u);  // version
    EXPECT_EQ(u32(64), 0xDEADBEEFu);
    EXPECT_EQ(u32(68), 2u);    // Float32
    EXPECT_EQ(u64(72), 12u);   // size
    EXPECT_EQ(u64(80), 128u);  // data offset
    EXPECT_EQ(u32(196), 8u);   // Int4
    EXPECT_EQ(u64(216), 4u);   // padding bits
    for (size_t o = 140; o < 192; ++o) EXPECT_EQ(bytes[o], 0) << o;

    const BlobReader r({bytes.data(), bytes.size()}, "weight.bin");
    EXPECT_EQ(r.count(), 2u);
    EXPECT_EQ(r.at(off_b).data.size(), 2u);
    EXPECT_EQ(unpack_subbyte(r.at(off_b).data, 3, 4, true), codes);
    EXPECT_EQ(r.all().size(), 2u);
    EXPECT_NE(error_of([&] { r.at(128); }).find("weight.bin: offset 128: no blob metadata there"), std::string::npos);
    EXPECT_NE(error_of([&] { r.at(100); }).find("not 64-byte aligned"), std::string::npos);
    EXPECT_NE(error_of([&] { r.at(4096); }).find("outside"), std::string::npos);
}

TEST(CoremlBlob, SubBytePackingIsLsbFirstAcrossBytes) {
    // uint3: 0b101, 0b011, 0b111 -> bits 0-2, 3-5, 6-8 (the third value spans two bytes).
    const std::vector<int32_t> v{5, 3, 7};
    const auto p = pack_subbyte(v, 3);
    EXPECT_EQ(p, (std::vector<uint8_t>{uint8_t(5 | 3 << 3 | (7 & 3) << 6), 1}));
    EXPECT_EQ(unpack_subbyte(p, 3, 3, false), v);
    // int4 matches vlmq's nibble order (element 2j = low nibble).
    std::vector<uint8_t> vl(1);
    const uint8_t codes[2] = {3, 12};
    qformat::pack_codes_ref(codes, 2, 4, vl.data());
    EXPECT_EQ(pack_subbyte(std::vector<int32_t>{3, 12}, 4), vl);
}

TEST(CoremlWeights, BlockShapesFollowTheGroups) {
    using S = std::vector<int64_t>;
    EXPECT_EQ(*block_scale_shape({64, 128, 1, 1}, 32), (S{64, 4, 1, 1}));
    EXPECT_EQ(*block_scale_shape({64, 32, 1, 1}, 32), (S{64, 1, 1, 1}));
    EXPECT_EQ(*block_scale_shape({64, 1, 7, 7}, 49), (S{64, 1, 1, 1}));
    EXPECT_EQ(*block_scale_shape({96, 3, 3, 3}, 27), (S{96, 1, 1, 1}));
    EXPECT_EQ(*block_scale_shape({8, 64, 3, 3}, 288), (S{8, 2, 1, 1}));
    EXPECT_FALSE(block_scale_shape({8, 32, 3, 3}, 32).has_value());
}

// ---------------------------------------------------------------------------------------------------

namespace {

struct Quantized {
    qformat::QMatrixBuffer buf;
    std::vector<int64_t> shape;
};

Quantized quantize(const std::string& format, std::vector<int64_t> shape, uint32_t seed, bool equal_scales = false) {
    const int64_t rows = shape[0];
    int64_t cols = 1;
    for (size_t i = 1; i < shape.size(); ++i) cols *= shape[i];
    const std::vector<float> w = test::gaussian(size_t(rows * cols), seed, 0.05f);
    Quantized q{qformat::QMatrixBuffer(*qformat::Format::parse(format), rows, cols), shape};
    rounding::quantize_rtn(Compute{}, w.data(), DType::F32, q.buf.mut());
    if (equal_scales)
        for (auto& s : q.buf.scales) s = f32_to_f16(-0.01f);
    return q;
}

// Encodes one weight into a program and decodes it back with the interpreter.
struct RoundTrip {
    StoragePlan plan;
    Tensor value;
};

RoundTrip round_trip(const Quantized& q, Target t, std::vector<double> row_scale = {}) {
    BlobWriter blobs;
    MilBuilder b(t, blobs);
    WeightInput in{"w", q.shape, q.buf.view(), std::move(row_scale)};
    const EncodedWeight e = encode_weight(b, "w", in, FloatStorage::F16);
    ModelSpec spec;
    Function fn;
    fn.opset = target_info(t).opset;
    fn.block = b.take_block();
    spec.program.functions["main"] = fn;
    const ModelSpec decoded = decode_model(encode_model(spec), "mem");
    const std::vector<uint8_t> bin = blobs.bytes();
    const BlobReader reader({bin.data(), bin.size()}, "weight.bin");
    const Interpreter interp(decoded, [&](const std::string&) -> const BlobReader& { return reader; }, {});
    return {e.plan, interp.constant(e.var)};
}

std::vector<float> dequant(const Quantized& q, const std::vector<double>& row_scale = {}) {
    const auto m = q.buf.view();
    std::vector<float> out(size_t(m.rows * m.cols));
    for (int64_t r = 0; r < m.rows; ++r) {
        qformat::dequantize_row_ref(m, r, out.data() + r * m.cols);
        if (!row_scale.empty())
            for (int64_t c = 0; c < m.cols; ++c)
                out[size_t(r * m.cols + c)] = float(double(out[size_t(r * m.cols + c)]) * row_scale[size_t(r)]);
    }
    return out;
}

}  // namespace

struct FormatCase {
    const char* format;
    std::vector<int64_t> shape;
    Target target;
    const char* storage;  // expected StoragePlan::describe(), or "" when not expressible
};

class CoremlWeightFormats : public ::testing::TestWithParam<FormatCase> {};

TEST_P(CoremlWeightFormats, DecodeToTheVlmqDequantizedValues) {
    const FormatCase& fc = GetParam();
    const Quantized q = quantize(fc.format, fc.shape, 7);
    if (std::string(fc.storage).empty()) {
        const std::string err = error_of([&] { round_trip(q, fc.target); });
        EXPECT_NE(err.find(fmt::format("tensor 'w': format {} is not expressible for {}", fc.format,
                                       target_info(fc.target).name)),
                  std::string::npos)
            << err;
        return;
    }
    const RoundTrip rt = round_trip(q, fc.target);
    EXPECT_EQ(rt.plan.describe(), fc.storage);
    EXPECT_EQ(rt.value.dtype, DataType::Float32);
    EXPECT_EQ(rt.value.shape, fc.shape);
    const std::vector<float> ref = dequant(q);
    ASSERT_EQ(rt.value.f.size(), ref.size());
    const bool exact = q.buf.fmt.symmetric;  // affine goes through offset = -m/s in fp32
    double worst = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        if (exact) {
            ASSERT_EQ(bits_from_f32(rt.value.f[i]) & 0x7fffffffu, bits_from_f32(ref[i]) & 0x7fffffffu) << i;
        }
        worst = std::max(worst, double(std::fabs(rt.value.f[i] - ref[i])));
    }
    if (!exact) {
        EXPECT_LE(worst, 1e-6) << fc.format;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Formats, CoremlWeightFormats,
    ::testing::Values(FormatCase{"int4_g32_sym", {48, 64, 1, 1}, Target::iOS18, "blockwise int4"},
                      FormatCase{"int4_row_sym", {24, 1, 7, 7}, Target::iOS18, "blockwise int4"},  // 49: odd row
                      FormatCase{"int4_g32_aff", {48, 64, 1, 1}, Target::iOS18, "blockwise uint4"},
                      FormatCase{"int8_g32_sym", {16, 64, 1, 1}, Target::iOS18, "blockwise int8"},
                      FormatCase{"int3_g32_sym", {16, 96, 1, 1}, Target::iOS18, "blockwise int4"},  // widened
                      FormatCase{"int6_g32_aff", {16, 96, 1, 1}, Target::iOS18, "blockwise uint8"},
                      FormatCase{"int8_row_sym", {16, 3, 3, 3}, Target::iOS16, "per-channel int8"},
                      FormatCase{"int8_row_aff", {16, 40, 1, 1}, Target::iOS17, "per-channel uint8"},
                      FormatCase{"int4_row_sym", {24, 1, 3, 3}, Target::iOS16, "per-channel int8"},
                      FormatCase{"int4_g32_sym", {48, 64, 1, 1}, Target::iOS16, ""},
                      FormatCase{"int3_g32_sym", {16, 96, 1, 1}, Target::iOS16, ""},
                      FormatCase{"int8_g32_sym", {16, 64, 1, 1}, Target::iOS17, ""}));

TEST(CoremlWeights, BatchNormFactorFoldsIntoTheScales) {
    const Quantized q = quantize("int4_row_sym", {8, 1, 7, 7}, 3);
    std::vector<double> g;
    for (int r = 0; r < 8; ++r) g.push_back(0.5 + 0.25 * r);
    const RoundTrip rt = round_trip(q, Target::iOS18, g);
    EXPECT_EQ(rt.plan.describe(), "blockwise int4");
    const auto ref = dequant(q, g);
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(rt.value.f[i], ref[i], 4e-7 * std::fabs(ref[i]) + 1e-12) << i;
}

TEST(CoremlWeights, PerTensorLutWhenAGroupFormatHasFewLevels) {
    // Every group with the same scale: at most 16 distinct values, so ios16 can store a 4-bit LUT exactly.
    const Quantized q = quantize("int4_g32_sym", {8, 64, 1, 1}, 5, true);
    const RoundTrip rt = round_trip(q, Target::iOS16);
    EXPECT_EQ(rt.plan.describe(), "lut uint4");
    EXPECT_EQ(rt.value.f, dequant(q));
}

TEST(CoremlWeights, FloatWeightsAreFp16WithACastToFp32) {
    qformat::QMatrixBuffer buf(qformat::Format::bf16(), 4, 12);
    auto* p = reinterpret_cast<uint16_t*>(buf.data.data());
    for (int i = 0; i < 48; ++i) p[i] = f32_to_bf16(0.01f * float(i - 20));
    Quantized q{buf, {4, 12}};
    const RoundTrip rt = round_trip(q, Target::iOS17);
    EXPECT_EQ(rt.plan.describe(), "fp16");
    for (int i = 0; i < 48; ++i) EXPECT_EQ(rt.value.f[size_t(i)], bf16_to_f32(p[i]));  // bf16 -> fp16 is exact here
    reinterpret_cast<uint16_t*>(q.buf.data.data())[3] = f32_to_bf16(1e6f);
    EXPECT_NE(error_of([&] { round_trip(q, Target::iOS18); }).find("overflows fp16"), std::string::npos);
}
