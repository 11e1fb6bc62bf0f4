#include "image/image.h"

#include <stb_image.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <memory>

#include "core/error.h"
#include "core/input_file.h"

namespace vlmq::image {

namespace {

std::string stb_reason() {
    const char* r = stbi_failure_reason();
    return r ? r : "unknown error";
}

// stb_image (Debian's copy) writes past a Huffman table's 257-entry size list when a DHT segment declares more
// than 256 codes (found by fuzz_image). Walks the markers as stb reads them (junk between markers skipped, DHT
// and DQT tables read while the segment's remaining length is positive, even past its end) and rejects such a
// table before stb sees it; other streams pass unchanged.
bool jpeg_huffman_counts_ok(std::span<const std::byte> b) {
    const auto at = [&](size_t i) { return uint8_t(b[i]); };
    if (b.size() < 2 || at(0) != 0xFF || at(1) != 0xD8) return true;
    size_t i = 2;
    while (i + 4 <= b.size()) {
        if (at(i) != 0xFF) {
            ++i;
            continue;
        }
        const uint8_t m = at(i + 1);
        if (m == 0xFF || m == 0xD8 || m == 0x01 || m == 0x00 || (m >= 0xD0 && m <= 0xD7)) {
            i += m == 0xFF ? 1 : 2;
            continue;
        }
        if (m == 0xD9) return true;
        int64_t left = ((int64_t(at(i + 2)) << 8) | at(i + 3)) - 2;
        size_t p = i + 4;
        if (m == 0xC4) {
            while (left > 0 && p + 17 <= b.size()) {
                size_t n = 0;
                for (size_t k = 1; k <= 16; ++k) n += at(p + k);
                if (n > 256) return false;
                p += 17 + n;
                left -= int64_t(17 + n);
            }
        } else if (m == 0xDB) {
            while (left > 0 && p < b.size()) {
                const size_t table = (at(p) >> 4) ? 129 : 65;
                p += table;
                left -= int64_t(table);
            }
        } else {
            p += size_t(std::max<int64_t>(left, 0));
        }
        i = p;
    }
    return true;
}

}  // namespace

Image decode_image(std::span<const std::byte> bytes, const std::string& where) {
    if (bytes.empty()) fail("{}: cannot decode image: file is empty", where);
    if (bytes.size() > size_t(INT_MAX)) fail("{}: cannot decode image: file is larger than 2 GiB", where);
    if (!jpeg_huffman_counts_ok(bytes)) fail("{}: cannot decode image: bad JPEG Huffman table (more than 256 codes)", where);
    const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
    const int len = int(bytes.size());
    int w = 0, h = 0, channels = 0;
    if (!stbi_info_from_memory(data, len, &w, &h, &channels))
        fail("{}: cannot decode image: {}", where, stb_reason());
    if (w <= 0 || h <= 0 || w > kMaxImageSide || h > kMaxImageSide)
        fail("{}: cannot decode image: {}x{} pixels is outside the supported 1..{} per side", where, w, h,
             kMaxImageSide);
    if (int64_t(w) * h > kMaxImagePixels)
        fail("{}: cannot decode image: {}x{} = {} pixels exceeds the {} pixel limit", where, w, h, int64_t(w) * h,
             kMaxImagePixels);
    std::unique_ptr<stbi_uc, decltype(&stbi_image_free)> pixels(stbi_load_from_memory(data, len, &w, &h, &channels, 0),
                                                                &stbi_image_free);
    if (!pixels) fail("{}: cannot decode image: {}", where, stb_reason());
    if (channels < 1 || channels > 4) fail("{}: cannot decode image: {} channels", where, channels);

    Image img;
    img.width = w;
    img.height = h;
    const size_t n = size_t(w) * size_t(h);
    img.rgb.resize(n * 3);
    const stbi_uc* src = pixels.get();
    uint8_t* dst = img.rgb.data();
    for (size_t i = 0; i < n; ++i, src += channels, dst += 3) {
        if (channels >= 3) {  // RGB, RGBA: alpha dropped
            dst[0] = src[0];
            dst[1] = src[1];
            dst[2] = src[2];
        } else {  // grey, grey + alpha
            dst[0] = dst[1] = dst[2] = src[0];
        }
    }
    return img;
}

Image load_image(const std::filesystem::path& path) {
    const std::string where = path.string();
    std::string bytes;
    try {
        bytes = InputFile(path).read_all(kMaxImageFileBytes);
    } catch (const Error& e) {  // "<path>: <reason>" -> "<path>: cannot decode image: <reason>"
        std::string_view reason = e.what();
        if (reason.starts_with(where + ": ")) reason.remove_prefix(where.size() + 2);
        fail("{}: cannot decode image: {}", where, reason);
    }
    return decode_image(std::as_bytes(std::span(bytes.data(), bytes.size())), where);
}

}  // namespace vlmq::image
