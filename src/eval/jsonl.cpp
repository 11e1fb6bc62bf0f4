#include "eval/jsonl.h"

#include <charconv>
#include <limits>

#include "core/error.h"
#include "core/fs_util.h"

namespace vlmq::eval {

void read_jsonl(const std::filesystem::path& path, const std::function<void(const json&, const std::string&)>& fn) {
    const std::string text = read_text_file(path);
    size_t begin = 0;
    int64_t line_no = 0;
    while (begin < text.size()) {
        size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        ++line_no;
        const std::string_view line(text.data() + begin, end - begin);
        begin = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        const std::string where = path.string() + ":" + std::to_string(line_no);
        json obj;
        try {
            obj = json::parse(line);
        } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
            fail("{}: invalid JSON: {}", where, e.what());
        }
        if (!obj.is_object()) fail("{}: expected a JSON object per line", where);
        fn(obj, where);
    }
}

int64_t question_id_field(const json& obj, std::string_view where) {
    const json& v = json_field(obj, "question_id", std::string(where));
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
        fail("{}: question_id {} is out of range", where, v.dump());
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        int64_t id = 0;
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
        if (!s.empty() && ec == std::errc() && ptr == s.data() + s.size()) return id;
    }
    fail("{}: question_id must be an integer or a string of digits, got {}", where, v.dump());
}

std::vector<std::string> answers_field(const json& obj, std::string_view where) {
    std::vector<std::string> out;
    const bool has_one = obj.contains("answer"), has_many = obj.contains("answers");
    if (has_one && has_many) fail("{}: both 'answer' and 'answers' are present", where);
    if (has_one) {
        const json& a = obj.at("answer");
        if (!a.is_string()) fail("{}: field 'answer' must be a string, got {}", where, a.dump());
        out.push_back(a.get<std::string>());
    } else if (has_many) {
        const json& list = obj.at("answers");
        if (!list.is_array() || list.empty())
            fail("{}: field 'answers' must be a non-empty array, got {}", where, list.dump());
        for (const json& a : list) {
            if (a.is_string()) {
                out.push_back(a.get<std::string>());
            } else if (a.is_object() && a.contains("answer") && a.at("answer").is_string()) {
                out.push_back(a.at("answer").get<std::string>());
            } else {
                fail("{}: each entry of 'answers' must be a string or an object with a string 'answer', got {}",
                     where, a.dump());
            }
        }
    }
    return out;
}

std::string optional_string(const json& obj, const std::string& key, std::string_view where) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return {};
    if (!it->is_string()) fail("{}: field '{}' must be a string, got {}", where, key, it->dump());
    return it->get<std::string>();
}

std::string dump_line(const ordered_json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace vlmq::eval
