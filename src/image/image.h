#pragma once
// 8-bit RGB images decoded with stb_image (PNG, JPEG, BMP, GIF first frame, TGA, ...).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace vlmq::image {

inline constexpr int kMaxImageSide = 16384;

struct Image {
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;  // HWC, row-major, 3 bytes per pixel
};

// Converts like PIL's .convert("RGB"): grey is replicated to three channels and alpha is dropped
// (not composited). Errors: "<path>: cannot decode image: <reason>".
Image load_image(const std::filesystem::path& path);
// `where` names the source in errors.
Image decode_image(std::span<const std::byte> bytes, const std::string& where);

}  // namespace vlmq::image
