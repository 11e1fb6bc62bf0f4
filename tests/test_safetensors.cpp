#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/fs_util.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "test_util.h"

using namespace vlmq;
using namespace vlmq::io;

namespace {

std::vector<std::byte> to_bytes(const std::vector<float>& v) {
    std::vector<std::byte> b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
}

// A file image: 8-byte length, header text, then `data_bytes` bytes of data.
std::string image(const std::string& header, size_t data_bytes, uint64_t claimed_len = UINT64_MAX) {
    const uint64_t n = claimed_len == UINT64_MAX ? header.size() : claimed_len;
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[size_t(i)] = char((n >> (8 * i)) & 0xff);
    s += header;
    s += std::string(data_bytes, '\x01');
    return s;
}

std::string parse_error(const std::string& file) {
    try {
        parse_safetensors(std::as_bytes(std::span(file.data(), file.size())), "x.safetensors");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Safetensors, RoundTripPreservesNamesShapesDtypesAndBytes) {
    test::TempDir dir;
    std::vector<OwnedTensor> ts;
    ts.push_back({{"b.bias", DType::F32, {3}}, to_bytes({1.5f, -2.0f, 3.25f})});
    ts.push_back({{"a.weight", DType::BF16, {2, 2}}, std::vector<std::byte>(8, std::byte{0x3f})});
    ts.push_back({{"codes", DType::U8, {5}}, {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}, std::byte{5}}});
    ts.push_back({{"scalar", DType::I64, {}}, std::vector<std::byte>(8, std::byte{0})});
    write_safetensors(dir / "t.safetensors", ts, {{"format", "pt"}});

    SafetensorsFile f(dir / "t.safetensors");
    ASSERT_EQ(f.tensors().size(), 4u);
    EXPECT_EQ(f.metadata().at("format"), "pt");
    const TensorInfo* b = f.find("b.bias");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->dtype, DType::F32);
    EXPECT_EQ(b->shape, (std::vector<int64_t>{3}));
    float v[3];
    std::memcpy(v, f.data(*b).data(), 12);
    EXPECT_EQ(v[0], 1.5f);
    EXPECT_EQ(v[1], -2.0f);
    EXPECT_EQ(v[2], 3.25f);
    EXPECT_EQ(f.find("codes")->nbytes(), 5u);
    EXPECT_EQ(uint8_t(f.data(*f.find("codes"))[4]), 5);
    EXPECT_EQ(f.find("scalar")->shape.size(), 0u);
    EXPECT_EQ(f.find("scalar")->numel(), 1);
    // Elements are aligned to their size: 8-byte types first, then 4, 2, 1.
    for (const auto& t : f.tensors()) EXPECT_EQ((t.begin) % dtype_size(t.dtype), 0u) << t.name;
    EXPECT_EQ(f.header_bytes().size() % 8, 0u);
}

TEST(Safetensors, WriterIsDeterministicAndAcceptsAnyWriteOrder) {
    test::TempDir dir;
    auto write = [&](const std::string& name, bool reverse) {
        SafetensorsWriter w(dir / name, {{"x", DType::F32, {2}}, {"y", DType::U8, {3}}});
        const auto x = to_bytes({1.0f, 2.0f});
        const std::vector<std::byte> y{std::byte{7}, std::byte{8}, std::byte{9}};
        if (reverse) {
            w.write("y", y);
            w.write_chunk("x", 4, std::span(x).subspan(4));
            w.write_chunk("x", 0, std::span(x).first(4));
        } else {
            w.write("x", x);
            w.write("y", y);
        }
        w.finish();
    };
    write("a.safetensors", false);
    write("b.safetensors", true);
    EXPECT_EQ(read_text_file(dir / "a.safetensors"), read_text_file(dir / "b.safetensors"));
}

TEST(Safetensors, UnfinishedWriterLeavesNoFile) {
    test::TempDir dir;
    {
        SafetensorsWriter w(dir / "partial.safetensors", {{"x", DType::F32, {2}}});
        w.write_chunk("x", 0, std::vector<std::byte>(4));
        EXPECT_THROW(w.finish(), Error);
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(SafetensorsHostile, TooShortFile) {
    EXPECT_NE(parse_error("abc").find("too short"), std::string::npos);
}

TEST(SafetensorsHostile, HeaderLengthBeyondFile) {
    const std::string f = image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4, 1000);
    EXPECT_NE(parse_error(f).find("exceeds the file size"), std::string::npos) << parse_error(f);
}

TEST(SafetensorsHostile, HundredMegabyteHeaderIsRejectedBeforeReading) {
    const std::string f = image("{}", 0, (100ull << 20) + 1);
    EXPECT_NE(parse_error(f).find("byte limit"), std::string::npos) << parse_error(f);
}

TEST(SafetensorsHostile, TruncatedData) {
    const std::string f = image(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8);
    EXPECT_NE(parse_error(f).find("outside"), std::string::npos) << parse_error(f);
}

TEST(SafetensorsHostile, OverlappingOffsets) {
    const std::string f = image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                12);
    EXPECT_NE(parse_error(f).find("overlaps"), std::string::npos) << parse_error(f);
}

TEST(SafetensorsHostile, OutOfRangeOffsets) {
    const std::string f = image(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[100,104]}})", 4);
    EXPECT_NE(parse_error(f).find("outside"), std::string::npos) << parse_error(f);
}

TEST(SafetensorsHostile, ShapeDtypeMismatch) {
    const std::string f = image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8);
    const std::string e = parse_error(f);
    EXPECT_NE(e.find("tensor 'a'"), std::string::npos) << e;
    EXPECT_NE(e.find("needs 12 bytes"), std::string::npos) << e;
}

TEST(SafetensorsHostile, NonUtf8Header) {
    const std::string f = image("{\"\xff\xfe\":{}}", 0);
    EXPECT_NE(parse_error(f).find("UTF-8"), std::string::npos) << parse_error(f);
}

TEST(SafetensorsHostile, MalformedJsonAndWrongTypes) {
    EXPECT_NE(parse_error(image("{\"a\":", 0)).find("header: invalid JSON"), std::string::npos);
    EXPECT_NE(parse_error(image("[1,2]", 0)).find("must be a JSON object"), std::string::npos);
    EXPECT_NE(parse_error(image(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", 8)).find("unsupported dtype 'F64'"),
              std::string::npos);
    EXPECT_NE(parse_error(image(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4)).find("non-negative"),
              std::string::npos);
    EXPECT_NE(parse_error(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}})", 4)).find("data_offsets"),
              std::string::npos);
    EXPECT_NE(parse_error(image(R"({"__metadata__":{"k":1}})", 0)).find("__metadata__"), std::string::npos);
}

TEST(SafetensorsHostile, OverflowingShape) {
    const std::string f = image(
        R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}})", 4);
    EXPECT_NE(parse_error(f).find("overflows"), std::string::npos) << parse_error(f);
}

TEST(SafetensorsHostile, DuplicateKeys) {
    const std::string f = image(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                                R"("a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})",
                                1);
    EXPECT_NE(parse_error(f).find("header: duplicate key 'a'"), std::string::npos) << parse_error(f);
}

TEST(SafetensorsHostile, GapsAndTrailingBytes) {
    EXPECT_NE(parse_error(image(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})", 2)).find("gap"),
              std::string::npos);
    EXPECT_NE(parse_error(image(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", 3)).find("trailing"),
              std::string::npos);
}

TEST(SafetensorsHostile, FileErrorsNameThePath) {
    test::TempDir dir;
    std::ofstream(dir / "trunc.safetensors") << "12";
    try {
        SafetensorsFile f(dir / "trunc.safetensors");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("trunc.safetensors"), std::string::npos);
    }
    EXPECT_THROW(SafetensorsFile(dir / "missing.safetensors"), Error);
}

TEST(Checkpoint, OpensTinyModel) {
    Checkpoint c(test::tiny_model_dir());
    EXPECT_EQ(c.config().at("hidden_size").get<int>(), 128);
    const TensorRef& e = c.at("model.embed_tokens.weight");
    EXPECT_EQ(e.info->dtype, DType::BF16);
    EXPECT_EQ(e.info->shape, (std::vector<int64_t>{451, 128}));
    EXPECT_THROW(c.at("no.such.tensor"), Error);
}

TEST(Checkpoint, ShardedIndex) {
    test::TempDir dir;
    std::ofstream(dir / "config.json") << "{}";
    write_safetensors(dir / "s1.safetensors", {{{"a", DType::F32, {1}}, to_bytes({1.0f})}});
    write_safetensors(dir / "s2.safetensors", {{{"b", DType::F32, {1}}, to_bytes({2.0f})}});
    std::ofstream(dir / "model.safetensors.index.json")
        << R"({"metadata":{},"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}})";
    {
        Checkpoint c(dir.path());
        EXPECT_EQ(c.names(), (std::vector<std::string>{"a", "b"}));
        EXPECT_EQ(c.files().size(), 2u);
    }
    std::ofstream(dir / "model.safetensors.index.json")
        << R"({"metadata":{},"weight_map":{"a":"s1.safetensors","b":"s1.safetensors"}})";
    EXPECT_THROW(Checkpoint{dir.path()}, Error);
}
