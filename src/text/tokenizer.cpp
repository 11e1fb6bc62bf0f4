#include "text/tokenizer.h"

#include <algorithm>

#include "core/error.h"
#include "core/fs_util.h"
#include "text/byte_level.h"
#include "text/pretokenize.h"
#include "text/utf8.h"

namespace vlmq::text {

namespace {

// Field access that names the file and the JSON path in errors (and never dumps large values).
class Fields {
public:
    explicit Fields(const std::string& where) : where_(where) {}

    const json* find(const json& obj, const std::string& key, const std::string& path) const {
        if (!obj.is_object()) fail("{}: '{}' must be a JSON object", where_, path);
        const auto it = obj.find(key);
        return it == obj.end() || it->is_null() ? nullptr : &*it;
    }
    const json& need(const json& obj, const std::string& key, const std::string& path) const {
        const json* v = find(obj, key, path);
        if (!v) fail("{}: missing field '{}'", where_, join(path, key));
        return *v;
    }
    std::string string(const json& obj, const std::string& key, const std::string& path) const {
        const json& v = need(obj, key, path);
        if (!v.is_string()) fail("{}: field '{}' must be a string", where_, join(path, key));
        return v.get<std::string>();
    }
    bool flag(const json& obj, const std::string& key, const std::string& path, bool fallback) const {
        const json* v = find(obj, key, path);
        if (!v) return fallback;
        if (!v->is_boolean()) fail("{}: field '{}' must be true or false", where_, join(path, key));
        return v->get<bool>();
    }
    int32_t id(const json& v, const std::string& path) const {
        if (!v.is_number_integer()) fail("{}: '{}' must be an integer token id", where_, path);
        const int64_t id = v.get<int64_t>();
        if (id < 0 || id > kMaxTokenId) fail("{}: '{}' = {} is not a valid token id", where_, path, id);
        return int32_t(id);
    }
    [[noreturn]] void unsupported(const std::string& path, const std::string& what) const {
        fail("{}: unsupported '{}': {} (only the Qwen2 byte-level BPE pipeline is implemented)", where_, path,
             what);
    }
    static std::string join(const std::string& path, const std::string& key) {
        return path.empty() ? key : path + "." + key;
    }

private:
    const std::string& where_;
};

bool check_normalizer(const json& root, const Fields& f) {
    const json* n = f.find(root, "normalizer", "");
    if (!n) return false;
    const std::string type = f.string(*n, "type", "normalizer");
    if (type != "NFC") f.unsupported("normalizer.type", type);
    return true;
}

void check_pre_tokenizer(const json& root, const Fields& f) {
    const json& pre = f.need(root, "pre_tokenizer", "");
    const std::string type = f.string(pre, "type", "pre_tokenizer");
    if (type != "Sequence") f.unsupported("pre_tokenizer.type", type);
    const json& list = f.need(pre, "pretokenizers", "pre_tokenizer");
    if (!list.is_array() || list.size() != 2)
        f.unsupported("pre_tokenizer.pretokenizers", "expected [Split, ByteLevel]");
    const std::string p0 = "pre_tokenizer.pretokenizers[0]", p1 = "pre_tokenizer.pretokenizers[1]";
    if (const std::string t = f.string(list[0], "type", p0); t != "Split") f.unsupported(p0 + ".type", t);
    const std::string regex = f.string(f.need(list[0], "pattern", p0), "Regex", p0 + ".pattern");
    if (regex != kQwen2SplitPattern) f.unsupported(p0 + ".pattern.Regex", "not the Qwen2 pattern");
    if (const std::string b = f.string(list[0], "behavior", p0); b != "Isolated") f.unsupported(p0 + ".behavior", b);
    if (f.flag(list[0], "invert", p0, false)) f.unsupported(p0 + ".invert", "true");
    if (const std::string t = f.string(list[1], "type", p1); t != "ByteLevel") f.unsupported(p1 + ".type", t);
    if (f.flag(list[1], "add_prefix_space", p1, false)) f.unsupported(p1 + ".add_prefix_space", "true");
    if (f.flag(list[1], "use_regex", p1, true)) f.unsupported(p1 + ".use_regex", "true");
}

void check_decoder_and_post_processor(const json& root, const Fields& f) {
    const std::string type = f.string(f.need(root, "decoder", ""), "type", "decoder");
    if (type != "ByteLevel") f.unsupported("decoder.type", type);
    // A ByteLevel post-processor only adjusts offsets; anything else (templates) would add tokens.
    if (const json* post = f.find(root, "post_processor", "")) {
        const std::string t = f.string(*post, "type", "post_processor");
        if (t != "ByteLevel") f.unsupported("post_processor.type", t);
    }
}

std::vector<AddedToken> read_added_tokens(const json& root, const Fields& f, const std::string& where) {
    std::vector<AddedToken> out;
    const json* list = f.find(root, "added_tokens", "");
    if (!list) return out;
    if (!list->is_array()) fail("{}: 'added_tokens' must be an array", where);
    for (size_t i = 0; i < list->size(); ++i) {
        const json& t = (*list)[i];
        const std::string path = fmt::format("added_tokens[{}]", i);
        AddedToken a;
        a.id = f.id(f.need(t, "id", path), path + ".id");
        a.content = f.string(t, "content", path);
        if (a.content.empty()) fail("{}: '{}.content' is empty", where, path);
        check_utf8(a.content, where + ": " + path + ".content");
        a.special = f.flag(t, "special", path, false);
        a.lstrip = f.flag(t, "lstrip", path, false);
        a.rstrip = f.flag(t, "rstrip", path, false);
        if (f.flag(t, "single_word", path, false)) f.unsupported(path + ".single_word", "true");
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace

Tokenizer Tokenizer::load(const std::filesystem::path& tokenizer_json) {
    const std::string where = tokenizer_json.string();
    return from_file(parse_tokenizer_json(read_text_file(tokenizer_json), where), where);
}

Tokenizer Tokenizer::from_json(const json& tokenizer_json, const std::string& where) {
    return from_file(parse_tokenizer_json(tokenizer_json.dump(), where), where);
}

Tokenizer Tokenizer::from_file(TokenizerFile file, const std::string& where) {
    const Fields f(where);
    const json& root = file.config;
    Tokenizer tok;
    tok.where_ = where;
    tok.nfc_ = check_normalizer(root, f);
    check_pre_tokenizer(root, f);
    check_decoder_and_post_processor(root, f);

    const json& model = f.need(root, "model", "");
    if (const json* type = f.find(model, "type", "model"); type && *type != "BPE")
        f.unsupported("model.type", type->is_string() ? type->get<std::string>() : type->dump());
    if (f.find(model, "dropout", "model")) f.unsupported("model.dropout", "BPE dropout");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
        if (const json* v = f.find(model, key, "model"); v && !(v->is_string() && v->get<std::string>().empty()))
            f.unsupported(std::string("model.") + key, "must be null");
    if (f.flag(model, "byte_fallback", "model", false)) f.unsupported("model.byte_fallback", "true");
    if (!file.has_vocab) {
        if (model.contains("vocab")) fail("{}: 'model.vocab' must be an object of token -> id", where);
        fail("{}: missing field 'model.vocab'", where);
    }
    if (!file.has_merges) {
        if (model.contains("merges")) fail("{}: 'model.merges' must be an array", where);
        fail("{}: missing field 'model.merges'", where);
    }
    tok.bpe_ = BpeModel(std::move(file.vocab), file.merges, f.flag(model, "ignore_merges", "model", false), where);

    std::vector<AddedToken> added = read_added_tokens(root, f, where);
    size_t end = tok.bpe_.vocab().id_end();
    for (const AddedToken& a : added) end = std::max(end, size_t(a.id) + 1);
    tok.kind_.assign(end, Kind::None);
    for (size_t id = 0; id < tok.bpe_.vocab().id_end(); ++id)
        if (tok.bpe_.vocab().has_id(int32_t(id))) tok.kind_[id] = Kind::Vocab;
    for (size_t i = 0; i < added.size(); ++i) {
        const AddedToken& a = added[i];
        const Kind k = tok.kind_[size_t(a.id)];
        if (k == Kind::Added || k == Kind::Special) fail("{}: added_tokens: id {} appears twice", where, a.id);
        if (k == Kind::Vocab && tok.bpe_.vocab().token(a.id) != a.content)
            fail("{}: added_tokens: id {} ('{}') is already the vocab token '{}'", where, a.id, a.content,
                 tok.bpe_.vocab().token(a.id));
        tok.kind_[size_t(a.id)] = a.special ? Kind::Special : Kind::Added;
        tok.added_by_id_[a.id] = i;
    }
    tok.added_ = AddedTokenMatcher(std::move(added));
    return tok;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
    const std::string where = "text to tokenize";
    check_utf8(text, where);
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 4);
    for (const Segment& seg : added_.split(text)) {
        if (seg.id >= 0) {
            ids.push_back(seg.id);
            continue;
        }
        const std::string normalized = nfc_ ? nfc(seg.text, where) : std::string(seg.text);
        for (const std::string_view piece : split_qwen2(normalized, where)) bpe_.encode_word(piece, ids);
    }
    return ids;
}

void Tokenizer::check_id(int32_t id) const {
    if (id < 0 || size_t(id) >= kind_.size())
        fail("{}: token id {} is out of range [0, {})", where_, id, kind_.size());
    if (kind_[size_t(id)] == Kind::None) fail("{}: token id {} has no token", where_, id);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
    std::string bytes;
    for (const int32_t id : ids) {
        check_id(id);
        if (skip_special && kind_[size_t(id)] == Kind::Special) continue;
        const std::string& tok = token_text(id);
        // As the reference ByteLevel decoder: map every code point back to its byte; a token that is
        // not entirely in the byte alphabet (e.g. an added token) contributes its own UTF-8 bytes.
        const size_t start = bytes.size();
        bool mapped = true;
        const CodePoints cps = decode_utf8(tok, where_);
        for (const char32_t cp : cps.cps) {
            const std::optional<uint8_t> b = byte_of_char(cp);
            if (!b) {
                mapped = false;
                break;
            }
            bytes += char(*b);
        }
        if (!mapped) {
            bytes.resize(start);
            bytes += tok;
        }
    }
    return utf8_lossy(bytes);
}

const std::string& Tokenizer::token_text(int32_t id) const {
    if (kind_[size_t(id)] == Kind::Vocab) return bpe_.vocab().token(id);
    return added_.tokens()[added_by_id_.at(id)].content;
}

std::optional<int32_t> Tokenizer::token_id(std::string_view token) const {
    for (const AddedToken& a : added_.tokens())
        if (a.content == token) return a.id;
    return bpe_.vocab().id(token);
}

const std::string& Tokenizer::token(int32_t id) const {
    check_id(id);
    return token_text(id);
}

bool Tokenizer::is_special(int32_t id) const {
    check_id(id);
    return kind_[size_t(id)] == Kind::Special;
}

}  // namespace vlmq::text
