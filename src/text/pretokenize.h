#pragma once
// The Qwen2 pre-tokenizer: splits text into the pieces matched by
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// with leftmost-first alternation (as Oniguruma and Rust's regex do), implemented as a scanner over
// code points. \s is Unicode White_Space, \p{L} and \p{N} are the general categories L* and N*.
#include <string_view>
#include <vector>

namespace vlmq::text {

// The exact pattern string a tokenizer.json must carry for split_qwen2 to be its implementation.
inline constexpr std::string_view kQwen2SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

bool is_letter(char32_t cp);
bool is_number(char32_t cp);
bool is_white_space(char32_t cp);

// Pieces of `text` (views into it, in order, covering it entirely). `where` names the source in
// the error thrown for invalid UTF-8.
std::vector<std::string_view> split_qwen2(std::string_view text, std::string_view where);

}  // namespace vlmq::text
