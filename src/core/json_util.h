#pragma once
// JSON reading with errors that name the file and the field.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace vlmq {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

json read_json_file(const std::filesystem::path& path);

// Typed field access: fails with "<where>: field '<key>' ..." when missing or of the wrong type.
const json& json_field(const json& obj, const std::string& key, const std::string& where);
int64_t json_int(const json& obj, const std::string& key, const std::string& where);
double json_number(const json& obj, const std::string& key, const std::string& where);
std::string json_string(const json& obj, const std::string& key, const std::string& where);

// Serializes with 2-space indent and a trailing newline (stable byte output for identical input).
std::string json_dump(const ordered_json& j);

}  // namespace vlmq
