#pragma once
// GPT-2 byte-level alphabet: every byte maps to one printable code point so that BPE vocabularies
// can be stored as text. Bytes that are printable Latin-1 map to themselves; the other 68 bytes map,
// in increasing byte order, to U+0100, U+0101, ...
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vlmq::text {

constexpr std::array<char32_t, 256> make_byte_to_char() {
    std::array<char32_t, 256> t{};
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
        t[size_t(b)] = printable ? char32_t(b) : next++;
    }
    return t;
}

inline constexpr std::array<char32_t, 256> kByteToChar = make_byte_to_char();
inline constexpr char32_t kByteLevelEnd = 256 + 68;  // code points of the alphabet are all below this

// The byte a byte-level code point stands for, or nullopt when cp is not in the alphabet.
std::optional<uint8_t> byte_of_char(char32_t cp);

// UTF-8 text of the byte-level symbol for byte b.
std::string byte_symbol(uint8_t b);

}  // namespace vlmq::text
