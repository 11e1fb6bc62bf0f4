#include "core/json_tree.h"

#include "core/error.h"

namespace vlmq {

template <class Json>
void JsonTree<Json>::key(std::string k) {
    if (options_.reject_duplicate_keys && stack_.back()->contains(k)) fail("{}: duplicate key '{}'", where_, k);
    key_ = std::move(k);
}

template <class Json>
void JsonTree<Json>::open(Json&& container) {
    check_json_depth(stack_.size() + 1, where_);
    keys_.push_back(stack_.empty() || !stack_.back()->is_object() ? std::string() : key_);
    stack_.push_back(place(std::move(container)));
}

template <class Json>
void JsonTree<Json>::close() {
    stack_.pop_back();
    keys_.pop_back();
}

template <class Json>
const std::string& JsonTree<Json>::field() const {
    if (stack_.empty()) return none_;
    return stack_.back()->is_object() ? key_ : keys_.back();
}

template <class Json>
Json* JsonTree<Json>::place(Json&& v) {
    if (stack_.empty()) {
        root_ = std::move(v);
        return &root_;
    }
    Json& parent = *stack_.back();
    if (parent.is_object()) return &(parent[key_] = std::move(v));
    parent.push_back(std::move(v));
    return &parent.back();
}

template class JsonTree<json>;
template class JsonTree<ordered_json>;

}  // namespace vlmq
