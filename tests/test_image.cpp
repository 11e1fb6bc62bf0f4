#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/json_util.h"
#include "image/image.h"
#include "image/preprocess.h"
#include "test_util.h"

using namespace vlmq;
using namespace vlmq::image;

namespace {

struct Diff {
    size_t exact = 0, total = 0;
    double max_abs = 0;
};

Diff compare(const std::vector<float>& got, const std::vector<float>& want) {
    Diff d;
    d.total = want.size();
    for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
        d.exact += got[i] == want[i];
        d.max_abs = std::max(d.max_abs, double(std::fabs(got[i] - want[i])));
    }
    return d;
}

std::string decode_error(const std::filesystem::path& path) {
    try {
        load_image(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

Image solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
    Image img{w, h, std::vector<uint8_t>(size_t(w) * size_t(h) * 3)};
    for (size_t i = 0; i < img.rgb.size(); i += 3) {
        img.rgb[i] = r;
        img.rgb[i + 1] = g;
        img.rgb[i + 2] = b;
    }
    return img;
}

}  // namespace

TEST(Image, GoldenPreprocessIsExact) {
    const json cases = read_json_file(test::tiny_golden_dir() / "preprocess.json");
    ASSERT_EQ(cases.size(), 4u);
    for (const json& c : cases) {
        const Image img = load_image(test::tiny_golden_dir() / c.at("image").get<std::string>());
        EXPECT_EQ(img.width, c.at("size")[0].get<int>());
        EXPECT_EQ(img.height, c.at("size")[1].get<int>());
        std::vector<int64_t> shape;
        const auto want = test::read_f32(test::tiny_golden_dir() / c.at("file").get<std::string>(), "pixel_values", &shape);
        ASSERT_EQ(shape, (std::vector<int64_t>{3, 256, 256}));
        const auto got = preprocess(img, 256);
        ASSERT_EQ(got.size(), want.size());
        const Diff d = compare(got, want);
        EXPECT_LE(d.max_abs, 1.0 / 255 + 1e-7) << c.at("image");
        EXPECT_EQ(d.exact, d.total) << c.at("image") << ": " << d.exact << "/" << d.total << " exact";
    }
}

TEST(Image, GoldenSamplePixelValues) {
    const json samples = read_json_file(test::tiny_golden_dir() / "samples.json");
    const json& s = samples.at(0);
    const Image img = load_image(test::tiny_data_dir().parent_path() / s.at("image").get<std::string>());
    EXPECT_EQ(img.width, 256);
    EXPECT_EQ(img.height, 256);
    const auto want = test::read_f32(test::tiny_golden_dir() / s.at("file").get<std::string>(), "pixel_values");
    const Diff d = compare(preprocess(img, 256), want);
    EXPECT_EQ(d.exact, d.total) << "max abs diff " << d.max_abs;
}

TEST(Image, PadToSquareCentresWithBlack) {
    const Image img = solid(5, 2, 10, 20, 30);
    const Image sq = pad_to_square(img);
    ASSERT_EQ(sq.width, 5);
    ASSERT_EQ(sq.height, 5);
    // offset floor((5 - 2) / 2) = 1: rows 1 and 2 hold the image, rows 0, 3, 4 are black.
    for (int y = 0; y < 5; ++y) {
        const uint8_t want = (y == 1 || y == 2) ? 10 : 0;
        EXPECT_EQ(sq.rgb[size_t(y) * 15], want) << "row " << y;
    }
    const Image tall = pad_to_square(solid(1, 4, 255, 255, 255));
    ASSERT_EQ(tall.width, 4);
    EXPECT_EQ(tall.rgb[0 * 3], 0);
    EXPECT_EQ(tall.rgb[1 * 3], 255);  // x offset floor(3 / 2) = 1
    EXPECT_EQ(tall.rgb[2 * 3], 0);
}

TEST(Image, ResizeKeepsSolidColoursAndIsDeterministic) {
    // Normalized taps reproduce a constant exactly, both when shrinking and when enlarging.
    for (const auto& [w, h] : {std::pair{37, 23}, std::pair{300, 301}}) {
        const Image out = resize_bicubic(solid(97, 64, 200, 7, 128), w, h);
        ASSERT_EQ(out.rgb.size(), size_t(w) * size_t(h) * 3);
        for (size_t i = 0; i < out.rgb.size(); i += 3) {
            ASSERT_EQ(out.rgb[i], 200);
            ASSERT_EQ(out.rgb[i + 1], 7);
            ASSERT_EQ(out.rgb[i + 2], 128);
        }
    }
    const Image img = load_image(test::tiny_golden_dir() / "preprocess_2.png");
    EXPECT_EQ(resize_bicubic(img, 123, 77).rgb, resize_bicubic(img, 123, 77).rgb);
    EXPECT_THROW(resize_bicubic(img, 0, 10), Error);
}

TEST(Image, GreyAndAlphaConvertLikePil) {
    // Hand-written uncompressed TGAs (PNG would need zlib): 2x1 grey, then 1x1 RGBA.
    std::string tga(18, '\0');
    tga[2] = 3;           // uncompressed greyscale
    tga[12] = 2;          // width 2
    tga[14] = 1;          // height 1
    tga[16] = 8;          // bits per pixel
    tga[17] = 0x20;       // top-left origin
    tga += "\x10\xf0";
    const Image grey = decode_image(std::as_bytes(std::span(tga.data(), tga.size())), "grey.tga");
    ASSERT_EQ(grey.width, 2);
    EXPECT_EQ(grey.rgb, (std::vector<uint8_t>{0x10, 0x10, 0x10, 0xf0, 0xf0, 0xf0}));

    std::string rgba(18, '\0');
    rgba[2] = 2;     // uncompressed true colour
    rgba[12] = 1;    // width 1
    rgba[14] = 1;    // height 1
    rgba[16] = 32;   // BGRA
    rgba[17] = 0x28; // top-left origin, 8 alpha bits
    rgba += std::string("\x03\x02\x01\x00", 4);  // B G R, alpha 0: dropped, not composited
    const Image colour = decode_image(std::as_bytes(std::span(rgba.data(), rgba.size())), "rgba.tga");
    EXPECT_EQ(colour.rgb, (std::vector<uint8_t>{1, 2, 3}));
}

TEST(Image, UnreadableImagesNameThePath) {
    test::TempDir dir;
    write_file_atomic(dir / "random.png", std::string("\x13\x37 not an image at all \x00\xff\x10", 26));
    write_file_atomic(dir / "empty.png", "");
    const std::string png = read_text_file(test::tiny_golden_dir() / "preprocess_0.png");
    write_file_atomic(dir / "truncated.png", png.substr(0, png.size() / 2));
    for (const char* name : {"random.png", "empty.png", "truncated.png", "missing.png"}) {
        const auto path = dir / name;
        const std::string err = decode_error(path);
        EXPECT_NE(err.find(path.string() + ": cannot decode image"), std::string::npos) << name << ": " << err;
    }
    EXPECT_NE(decode_error(dir.path()).find("cannot decode image"), std::string::npos);
}

TEST(Image, AbsurdDimensionsAreRejectedBeforeDecoding) {
    // A BMP header claiming 20000 x 10 pixels, with no pixel data.
    std::string bmp(54, '\0');
    auto put32 = [&](size_t at, uint32_t v) {
        for (int i = 0; i < 4; ++i) bmp[at + size_t(i)] = char((v >> (8 * i)) & 0xff);
    };
    bmp[0] = 'B';
    bmp[1] = 'M';
    put32(2, 54);
    put32(10, 54);
    put32(14, 40);
    put32(18, 20000);
    put32(22, 10);
    bmp[26] = 1;
    bmp[28] = 24;
    try {
        decode_image(std::as_bytes(std::span(bmp.data(), bmp.size())), "huge.bmp");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("huge.bmp: cannot decode image"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("20000"), std::string::npos) << e.what();
    }
}

// Found by fuzz_image: a DHT segment declaring more than 256 codes made stb_image write past its Huffman
// size table (UBSan: index 257 out of bounds). Three variants: before the frame header, a DC table with 300
// codes spread over lengths, and a second table in the same segment after a valid one.
TEST(Image, JpegHuffmanTablesWithMoreThan256CodesAreRejected) {
    auto jpeg = [](const std::vector<std::string>& tables) {
        std::string body;
        for (const auto& t : tables) body += t;
        const size_t len = body.size() + 2;
        return std::string("\xff\xd8\xff\xc4", 4) + char(len >> 8) + char(len & 0xff) + body +
               std::string("\xff\xd9", 2);
    };
    auto table = [](uint8_t id, std::vector<uint8_t> counts) {
        std::string t(1, char(id));
        size_t n = 0;
        for (uint8_t c : counts) t += char(c), n += c;
        return t + std::string(n, '\x01');
    };
    std::vector<uint8_t> c257(16, 0), c300(16, 0), ok(16, 0);
    c257[15] = 255, c257[14] = 2;
    for (size_t i = 0; i < 16; ++i) c300[i] = i < 12 ? 25 : 0;
    ok[1] = 5;
    for (const std::string& bytes : {jpeg({table(0x10, c257)}), jpeg({table(0x00, c300)}),
                                     jpeg({table(0x00, ok), table(0x11, c257)})}) {
        const std::string err = test::error_of([&] { decode_image(std::as_bytes(std::span(bytes.data(), bytes.size())), "h.jpg"); });
        EXPECT_EQ(err, "h.jpg: cannot decode image: bad JPEG Huffman table (more than 256 codes)");
    }
    // The fuzzer's input shape: a JFIF header, then the oversized table; a valid table alone still reaches stb.
    const std::string valid = jpeg({table(0x00, ok)});
    const std::string err = test::error_of([&] { decode_image(std::as_bytes(std::span(valid.data(), valid.size())), "v.jpg"); });
    EXPECT_EQ(err.rfind("v.jpg: cannot decode image: ", 0), 0u);
    EXPECT_EQ(err.find("Huffman table (more than"), std::string::npos) << err;
}
