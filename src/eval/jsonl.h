#pragma once
// JSON Lines reading with errors that name "<file>:<line>", and the field helpers the VQA readers share.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_util.h"

namespace vlmq::eval {

// Calls fn(object, where) for every non-blank line, where = "<file>:<line>". Fails on invalid JSON or a
// line that is not a JSON object.
void read_jsonl(const std::filesystem::path& path, const std::function<void(const json&, const std::string&)>& fn);

// "question_id" as an integer or a string of decimal digits (LLaVA's GQA files use strings).
int64_t question_id_field(const json& obj, std::string_view where);

// Answers from "answer" (a string) or "answers" (strings or {"answer": string} objects).
// Returns an empty list when neither field is present; fails on any other shape.
std::vector<std::string> answers_field(const json& obj, std::string_view where);

// The string field `key`, or "" when absent; fails when present but not a string.
std::string optional_string(const json& obj, const std::string& key, std::string_view where);

// Serializes one value on one line; invalid UTF-8 in strings becomes U+FFFD instead of throwing.
std::string dump_line(const ordered_json& j);

}  // namespace vlmq::eval
