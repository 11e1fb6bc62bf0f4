#pragma once
// UTF-8 helpers for the tokenizer: strict decoding, encoding, lossy repair and NFC normalization.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vlmq::text {

// Code points of `s` and the byte offset where each starts (offsets has one extra entry: s.size()).
struct CodePoints {
    std::vector<char32_t> cps;
    std::vector<uint32_t> offsets;
};

// Fails with "<where>: ... not valid UTF-8 at byte N" on malformed input (overlongs, surrogates,
// truncated sequences, values above U+10FFFF).
CodePoints decode_utf8(std::string_view s, std::string_view where);

// Fails like decode_utf8 without building the code point list.
void check_utf8(std::string_view s, std::string_view where);

void append_utf8(std::string& out, char32_t cp);

// Replaces each maximal ill-formed subsequence with U+FFFD, like Rust's String::from_utf8_lossy
// (which the Hugging Face decoders use).
std::string utf8_lossy(std::string_view bytes);

// Unicode NFC. Fails like decode_utf8 on malformed input.
std::string nfc(std::string_view s, std::string_view where);

}  // namespace vlmq::text
