#include "text/byte_level.h"

#include "text/utf8.h"

namespace vlmq::text {

namespace {

constexpr std::array<int16_t, kByteLevelEnd> make_char_to_byte() {
    std::array<int16_t, kByteLevelEnd> t{};
    for (auto& v : t) v = -1;
    for (int b = 0; b < 256; ++b) t[kByteToChar[size_t(b)]] = int16_t(b);
    return t;
}

constexpr std::array<int16_t, kByteLevelEnd> kCharToByte = make_char_to_byte();

}  // namespace

std::optional<uint8_t> byte_of_char(char32_t cp) {
    if (cp >= kByteLevelEnd || kCharToByte[cp] < 0) return std::nullopt;
    return uint8_t(kCharToByte[cp]);
}

std::string byte_symbol(uint8_t b) {
    std::string s;
    append_utf8(s, kByteToChar[b]);
    return s;
}

}  // namespace vlmq::text
