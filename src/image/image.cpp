#include "image/image.h"

#include <stb_image.h>

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

}  // namespace

Image decode_image(std::span<const std::byte> bytes, const std::string& where) {
    if (bytes.empty()) fail("{}: cannot decode image: file is empty", where);
    if (bytes.size() > size_t(INT_MAX)) fail("{}: cannot decode image: file is larger than 2 GiB", where);
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
