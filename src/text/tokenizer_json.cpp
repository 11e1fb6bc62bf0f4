#include "text/tokenizer_json.h"

#include "core/error.h"

namespace vlmq::text {

namespace {

// SAX handler: a plain tree builder, except inside model.vocab and model.merges.
class Reader : public nlohmann::json_sax<json> {
public:
    Reader(TokenizerFile& out, const std::string& where) : out_(out), where_(where) {}

    bool null() override { return value(json(nullptr)); }
    bool boolean(bool v) override { return value(json(v)); }
    bool number_integer(number_integer_t v) override { return integer(v); }
    bool number_unsigned(number_unsigned_t v) override {
        return integer(v > uint64_t(INT64_MAX) ? INT64_MAX : int64_t(v));
    }
    bool number_float(number_float_t v, const string_t&) override { return value(json(v)); }
    bool string(string_t& v) override {
        if (mode_ == Mode::Merges) {
            split_merge(v);
            return true;
        }
        if (mode_ == Mode::MergePair) {
            if (pair_.size() >= 2) return bad_entry();
            pair_.push_back(std::move(v));
            return true;
        }
        return value(json(std::move(v)));
    }
    bool binary(binary_t&) override { return bad_entry(); }

    bool key(string_t& k) override {
        key_ = std::move(k);
        return true;
    }
    bool start_object(std::size_t) override {
        if (mode_ == Mode::Tree && at_model_field("vocab")) {
            mode_ = Mode::Vocab;
            out_.has_vocab = true;
            return true;
        }
        if (mode_ != Mode::Tree) return bad_entry();
        return open(json::object());
    }
    bool end_object() override {
        if (mode_ == Mode::Vocab) {
            mode_ = Mode::Tree;
            return true;
        }
        return close();
    }
    bool start_array(std::size_t) override {
        if (mode_ == Mode::Tree && at_model_field("merges")) {
            mode_ = Mode::Merges;
            out_.has_merges = true;
            return true;
        }
        if (mode_ == Mode::Merges) {
            mode_ = Mode::MergePair;
            pair_.clear();
            return true;
        }
        if (mode_ != Mode::Tree) return bad_entry();
        return open(json::array());
    }
    bool end_array() override {
        if (mode_ == Mode::MergePair) {
            if (pair_.size() != 2) return bad_entry();
            out_.merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
            mode_ = Mode::Merges;
            return true;
        }
        if (mode_ == Mode::Merges) {
            mode_ = Mode::Tree;
            return true;
        }
        return close();
    }
    bool parse_error(std::size_t, const std::string& token, const nlohmann::detail::exception& e) override {
        fail_json_parse_error(e, token, key_, where_);
    }

private:
    enum class Mode { Tree, Vocab, Merges, MergePair };

    bool at_model_field(std::string_view field) const {
        return stack_.size() == 2 && keys_[1] == "model" && stack_[1]->is_object() && key_ == field;
    }

    [[noreturn]] bool bad_entry() {
        if (mode_ == Mode::Vocab) fail("{}: model.vocab[\"{}\"] must be an integer token id", where_, key_);
        if (mode_ == Mode::Merges || mode_ == Mode::MergePair)
            fail("{}: model.merges[{}] must be \"a b\" or [\"a\", \"b\"]", where_, out_.merges.size());
        fail("{}: unexpected binary value", where_);
    }

    bool integer(int64_t v) {
        if (mode_ == Mode::Vocab) {
            if (v < 0 || v > kMaxTokenId) fail("{}: model.vocab[\"{}\"] = {} is not a valid token id", where_, key_, v);
            out_.vocab.emplace_back(std::move(key_), int32_t(v));
            return true;
        }
        return value(json(v));
    }

    void split_merge(const std::string& s) {
        const size_t space = s.find(' ');
        if (space == std::string::npos || space == 0 || space + 1 == s.size() ||
            s.find(' ', space + 1) != std::string::npos)
            fail("{}: model.merges[{}] must be two tokens separated by one space", where_, out_.merges.size());
        out_.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
    }

    json* insert(json&& v) {
        if (stack_.empty()) {
            out_.config = std::move(v);
            return &out_.config;
        }
        json& parent = *stack_.back();
        if (parent.is_object()) return &(parent[key_] = std::move(v));
        parent.push_back(std::move(v));
        return &parent.back();
    }
    bool value(json&& v) {
        if (mode_ != Mode::Tree) return bad_entry();
        insert(std::move(v));
        return true;
    }
    bool open(json&& container) {
        check_json_depth(stack_.size() + 1, where_);
        keys_.push_back(stack_.empty() || !stack_.back()->is_object() ? std::string() : key_);
        stack_.push_back(insert(std::move(container)));
        return true;
    }
    bool close() {
        stack_.pop_back();
        keys_.pop_back();
        return true;
    }

    TokenizerFile& out_;
    const std::string& where_;
    Mode mode_ = Mode::Tree;
    std::vector<json*> stack_;
    std::vector<std::string> keys_;  // the key each open container was stored under
    std::string key_;
    std::vector<std::string> pair_;
};

}  // namespace

TokenizerFile parse_tokenizer_json(std::string_view text, const std::string& where) {
    TokenizerFile out;
    Reader reader(out, where);
    json::sax_parse(text, &reader);
    if (!out.config.is_object()) fail("{}: expected a JSON object at the top level", where);
    return out;
}

}  // namespace vlmq::text
