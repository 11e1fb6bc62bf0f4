#include "core/json_util.h"

#include <limits>

#include "core/error.h"
#include "core/fs_util.h"

namespace vlmq {

namespace {

// A SAX tree builder with the limits of parse_json. (nlohmann's callback parser cannot be used for this: on
// every closed object it scans all of the parent's children, which makes a 30,000-entry object quadratic.)
class BoundedBuilder : public nlohmann::json_sax<json> {
public:
    BoundedBuilder(const std::string& where, JsonParseOptions options) : where_(where), options_(options) {}

    json result;

    bool null() override { return insert(json(nullptr)); }
    bool boolean(bool v) override { return insert(json(v)); }
    bool number_integer(number_integer_t v) override { return insert(json(v)); }
    bool number_unsigned(number_unsigned_t v) override { return insert(json(v)); }
    bool number_float(number_float_t v, const string_t&) override { return insert(json(v)); }
    bool string(string_t& v) override { return insert(json(std::move(v))); }
    bool binary(binary_t& v) override { return insert(json::binary(std::move(v))); }
    bool key(string_t& k) override {
        json& parent = *stack_.back();
        if (options_.reject_duplicate_keys && parent.contains(k)) fail("{}: duplicate key '{}'", where_, k);
        key_ = std::move(k);
        return true;
    }
    bool start_object(std::size_t) override { return open(json::object()); }
    bool start_array(std::size_t) override { return open(json::array()); }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string& token, const nlohmann::detail::exception& e) override {
        fail_json_parse_error(e, token, field(), where_);
    }

private:
    std::string field() const {
        if (stack_.empty()) return {};
        return stack_.back()->is_object() ? key_ : keys_.back();
    }

    json* place(json&& v) {
        if (stack_.empty()) {
            result = std::move(v);
            return &result;
        }
        json& parent = *stack_.back();
        if (parent.is_object()) return &(parent[key_] = std::move(v));
        parent.push_back(std::move(v));
        return &parent.back();
    }
    bool insert(json&& v) {
        place(std::move(v));
        return true;
    }
    bool open(json&& container) {
        check_json_depth(stack_.size() + 1, where_);
        keys_.push_back(field());
        stack_.push_back(place(std::move(container)));
        return true;
    }
    bool close() {
        stack_.pop_back();
        keys_.pop_back();
        return true;
    }

    const std::string& where_;
    JsonParseOptions options_;
    std::vector<json*> stack_;
    std::vector<std::string> keys_;  // per open container: the field it belongs to, for error messages
    std::string key_;
};

}  // namespace

json parse_json(std::string_view text, const std::string& where, JsonParseOptions options) {
    BoundedBuilder builder(where, options);
    try {
        json::sax_parse(text, &builder);
    } catch (const json::exception& e) {
        fail("{}: invalid JSON: {}", where, e.what());
    }
    return std::move(builder.result);
}

json read_json_file(const std::filesystem::path& path) { return parse_json(read_text_file(path), path.string()); }

void check_json_depth(size_t depth, const std::string& where) {
    if (depth > kMaxJsonDepth)
        fail("{}: invalid JSON: arrays/objects nested deeper than {} levels", where, kMaxJsonDepth);
}

void fail_json_parse_error(const nlohmann::detail::exception& e, std::string_view token, const std::string& field,
                           const std::string& where) {
    constexpr int kNumberOverflow = 406;  // nlohmann's out_of_range.406: a number beyond the range of a double
    if (e.id != kNumberOverflow) fail("{}: invalid JSON: {}", where, e.what());
    if (field.empty()) fail("{}: number {} is out of range (beyond +-1.8e308)", where, token);
    fail("{}: field '{}': number {} is out of range (beyond +-1.8e308)", where, field, token);
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
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
        fail("{}: field '{}': integer {} is out of range", where, key, v.dump());
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
