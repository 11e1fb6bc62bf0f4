#pragma once
// 8-bit RGB images decoded with stb_image (PNG, JPEG, BMP, GIF first frame, TGA, ...).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace vlmq::image {

// Limits checked from the header before any pixel is decoded: a small file can claim a huge image.
inline constexpr int kMaxImageSide = 16384;
inline constexpr int64_t kMaxImagePixels = int64_t(8192) * 8192;  // 64 Mpx: 256 MiB decoded as RGBA
inline constexpr uint64_t kMaxImageFileBytes = 256ull << 20;

struct Image {
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;  // HWC, row-major, 3 bytes per pixel
};

// Converts like PIL's .convert("RGB"): grey is replicated to three channels and alpha is dropped
// (not composited). Errors: "<path>: cannot decode image: <reason>"; the path must be a regular file.
Image load_image(const std::filesystem::path& path);
// `where` names the source in errors.
Image decode_image(std::span<const std::byte> bytes, const std::string& where);

}  // namespace vlmq::image
