#include "core/json_util.h"

#include <limits>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/json_tree.h"

namespace vlmq {

namespace {

// parse_json's SAX reader: every event goes into a JsonTree, which applies the limits.
template <class Json>
class BoundedBuilder : public nlohmann::json_sax<Json> {
    using Base = nlohmann::json_sax<Json>;

public:
    BoundedBuilder(const std::string& where, JsonParseOptions options) : tree(where, options), where_(where) {}

    JsonTree<Json> tree;

    bool null() override { return add(Json(nullptr)); }
    bool boolean(bool v) override { return add(Json(v)); }
    bool number_integer(typename Base::number_integer_t v) override { return add(Json(v)); }
    bool number_unsigned(typename Base::number_unsigned_t v) override { return add(Json(v)); }
    bool number_float(typename Base::number_float_t v, const typename Base::string_t&) override {
        return add(Json(v));
    }
    bool string(typename Base::string_t& v) override { return add(Json(std::move(v))); }
    bool binary(typename Base::binary_t& v) override { return add(Json::binary(std::move(v))); }
    bool key(typename Base::string_t& k) override {
        tree.key(std::move(k));
        return true;
    }
    bool start_object(std::size_t) override {
        tree.open(Json::object());
        return true;
    }
    bool start_array(std::size_t) override {
        tree.open(Json::array());
        return true;
    }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string& token, const nlohmann::detail::exception& e) override {
        fail_json_parse_error(e, token, tree.field(), where_);
    }

private:
    bool add(Json&& v) {
        tree.add(std::move(v));
        return true;
    }
    bool close() {
        tree.close();
        return true;
    }

    const std::string& where_;
};

template <class Json>
Json parse_bounded(std::string_view text, const std::string& where, JsonParseOptions options) {
    BoundedBuilder<Json> builder(where, options);
    try {
        Json::sax_parse(text, &builder);
    } catch (const nlohmann::json::exception& e) {
        fail("{}: invalid JSON: {}", where, e.what());
    }
    return std::move(builder.tree.root());
}

}  // namespace

json parse_json(std::string_view text, const std::string& where, JsonParseOptions options) {
    return parse_bounded<json>(text, where, options);
}

ordered_json parse_ordered_json(std::string_view text, const std::string& where, JsonParseOptions options) {
    return parse_bounded<ordered_json>(text, where, options);
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
