#include "core/json_util.h"

#include "core/error.h"
#include "core/fs_util.h"

namespace vlmq {

json read_json_file(const std::filesystem::path& path) {
    const std::string text = read_text_file(path);
    try {
        return json::parse(text);
    } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
        fail("{}: invalid JSON: {}", path.string(), e.what());
    }
}

const json& json_field(const json& obj, const std::string& key, const std::string& where) {
    if (!obj.is_object()) fail("{}: expected a JSON object", where);
    auto it = obj.find(key);
    if (it == obj.end()) fail("{}: missing field '{}'", where, key);
    return *it;
}

int64_t json_int(const json& obj, const std::string& key, const std::string& where) {
    const json& v = json_field(obj, key, where);
    if (!v.is_number_integer()) fail("{}: field '{}' must be an integer, got {}", where, key, v.dump());
    return v.get<int64_t>();
}

double json_number(const json& obj, const std::string& key, const std::string& where) {
    const json& v = json_field(obj, key, where);
    if (!v.is_number()) fail("{}: field '{}' must be a number, got {}", where, key, v.dump());
    return v.get<double>();
}

std::string json_string(const json& obj, const std::string& key, const std::string& where) {
    const json& v = json_field(obj, key, where);
    if (!v.is_string()) fail("{}: field '{}' must be a string, got {}", where, key, v.dump());
    return v.get<std::string>();
}

std::string json_dump(const ordered_json& j) { return j.dump(2) + "\n"; }

}  // namespace vlmq
