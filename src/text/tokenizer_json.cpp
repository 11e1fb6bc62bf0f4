#include "text/tokenizer_json.h"

#include "core/error.h"
#include "core/json_tree.h"

namespace vlmq::text {

namespace {

// SAX handler: parse_json's tree (core/json_tree.h), except inside model.vocab and model.merges.
class Reader : public nlohmann::json_sax<json> {
public:
    Reader(TokenizerFile& out, const std::string& where) : tree(where, {}), out_(out), where_(where) {}

    JsonTree<json> tree;  // the document without model.vocab and model.merges

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
        if (mode_ == Mode::Vocab)
            token_ = std::move(k);
        else
            tree.key(std::move(k));
        return true;
    }
    bool start_object(std::size_t) override {
        if (mode_ == Mode::Tree && at_model_field("vocab")) {
            mode_ = Mode::Vocab;
            out_.has_vocab = true;
            return true;
        }
        if (mode_ != Mode::Tree) return bad_entry();
        tree.open(json::object());
        return true;
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
        tree.open(json::array());
        return true;
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
        fail_json_parse_error(e, token, mode_ == Mode::Vocab ? token_ : tree.field(), where_);
    }

private:
    enum class Mode { Tree, Vocab, Merges, MergePair };

    bool at_model_field(std::string_view field) const {
        return tree.depth() == 2 && tree.key_of(1) == "model" && tree.container(1).is_object() &&
               tree.pending_key() == field;
    }

    [[noreturn]] bool bad_entry() {
        if (mode_ == Mode::Vocab) fail("{}: model.vocab[\"{}\"] must be an integer token id", where_, token_);
        if (mode_ == Mode::Merges || mode_ == Mode::MergePair)
            fail("{}: model.merges[{}] must be \"a b\" or [\"a\", \"b\"]", where_, out_.merges.size());
        fail("{}: unexpected binary value", where_);
    }

    bool integer(int64_t v) {
        if (mode_ == Mode::Vocab) {
            if (v < 0 || v > kMaxTokenId) fail("{}: model.vocab[\"{}\"] = {} is not a valid token id", where_, token_, v);
            out_.vocab.emplace_back(std::move(token_), int32_t(v));
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

    bool value(json&& v) {
        if (mode_ != Mode::Tree) return bad_entry();
        tree.add(std::move(v));
        return true;
    }
    bool close() {
        tree.close();
        return true;
    }

    TokenizerFile& out_;
    const std::string& where_;
    Mode mode_ = Mode::Tree;
    std::string token_;  // the current key inside model.vocab
    std::vector<std::string> pair_;
};

}  // namespace

TokenizerFile parse_tokenizer_json(std::string_view text, const std::string& where) {
    TokenizerFile out;
    Reader reader(out, where);
    json::sax_parse(text, &reader);
    out.config = std::move(reader.tree.root());
    if (!out.config.is_object()) fail("{}: expected a JSON object at the top level", where);
    return out;
}

}  // namespace vlmq::text
