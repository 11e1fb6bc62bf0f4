#pragma once
// JSON reading with errors that name the file and the field. Every JSON document vlmq reads goes through
// parse_json / parse_ordered_json (or, for tokenizer.json's streaming reader, the same JsonTree), so untrusted input
// cannot nest deep enough to exhaust the stack of nlohmann's recursive copy/compare/dump, nor smuggle in
// numbers that overflow a double.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace vlmq {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// Deepest nesting of arrays/objects accepted (vlmq's own files and Hugging Face configs stay under 10).
inline constexpr size_t kMaxJsonDepth = 128;

struct JsonParseOptions {
    bool reject_duplicate_keys = false;  // else the last occurrence wins (nlohmann's default)
};

// Parses `text` into a tree; fails with "<where>: ..." on invalid JSON, nesting deeper than kMaxJsonDepth,
// a number outside the range of a double (1e400), or a duplicate key when asked. Linear in the input.
json parse_json(std::string_view text, const std::string& where, JsonParseOptions options = {});
// parse_json keeping the keys in file order (for files vlmq compares byte for byte with what it would write).
ordered_json parse_ordered_json(std::string_view text, const std::string& where, JsonParseOptions options = {});
// read_text_file (bounded, regular files only) + parse_json.
json read_json_file(const std::filesystem::path& path);

// What parse_json does on a nesting depth beyond the limit and on a parse error, for streaming readers that
// build their own tree (core/json_tree.h). `token` is the parser's last token; `field` the enclosing key ("" at the top level),
// named when a number overflows.
void check_json_depth(size_t depth, const std::string& where);
[[noreturn]] void fail_json_parse_error(const nlohmann::detail::exception& e, std::string_view token,
                                        const std::string& field, const std::string& where);

// Typed field access: fails with "<where>: field '<key>' ..." when missing or of the wrong type.
const json& json_field(const json& obj, const std::string& key, const std::string& where);
int64_t json_int(const json& obj, const std::string& key, const std::string& where);
double json_number(const json& obj, const std::string& key, const std::string& where);
std::string json_string(const json& obj, const std::string& key, const std::string& where);

// Serializes with 2-space indent and a trailing newline (stable byte output for identical input).
std::string json_dump(const ordered_json& j);

}  // namespace vlmq
