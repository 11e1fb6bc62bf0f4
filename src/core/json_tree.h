#pragma once
// The tree a SAX reader builds, with parse_json's limits (core/json_util.h): depth at most kMaxJsonDepth,
// optionally no duplicate keys, and the enclosing field of the current position for error messages.
// parse_json's reader and tokenizer.json's streaming reader (text/tokenizer_json.cpp) both build on it.
// (nlohmann's own callback parser cannot serve: on every closed object it scans all of the parent's children,
// which makes a 30,000-entry object quadratic.)
#include <string>
#include <vector>

#include "core/json_util.h"

namespace vlmq {

template <class Json>
class JsonTree {
public:
    JsonTree(const std::string& where, JsonParseOptions options) : where_(where), options_(options) {}

    // The key the next value is stored under, when the innermost open container is an object.
    void key(std::string k);
    // Stores a value (a scalar, or a container opened with open()) at the current position.
    void add(Json&& v) { place(std::move(v)); }
    void open(Json&& container);
    void close();

    // Containers open now; 0 at the top level.
    size_t depth() const { return stack_.size(); }
    // The container open at `level` (0 = the document) and the key it is stored under ("" in an array/at the top).
    const Json& container(size_t level) const { return *stack_[level]; }
    const std::string& key_of(size_t level) const { return keys_[level]; }
    // The pending key inside an object, else the key of the enclosing array ("" at the top level).
    const std::string& field() const;
    const std::string& pending_key() const { return key_; }
    Json& root() { return root_; }

private:
    Json* place(Json&& v);

    const std::string& where_;
    JsonParseOptions options_;
    Json root_;
    std::vector<Json*> stack_;
    std::vector<std::string> keys_;
    std::string key_;
    std::string none_;
};

extern template class JsonTree<json>;
extern template class JsonTree<ordered_json>;

}  // namespace vlmq
