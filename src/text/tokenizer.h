#pragma once
// The Qwen2 tokenizer: byte-level BPE loaded from a Hugging Face tokenizer.json.
//
// encode: split on added tokens (matched inline, longest first) -> NFC -> Qwen2 regex split ->
// GPT-2 byte mapping -> BPE by merge rank -> ids. No BOS/EOS is added.
// decode: ids -> token strings -> bytes through the inverse byte map -> UTF-8 (ill-formed bytes become
// U+FFFD, so a sequence cut inside a character decodes without error).
//
// Only the Qwen2 pipeline is implemented; load() rejects tokenizer.json files describing another
// normalizer, pre-tokenizer, model or decoder rather than tokenizing them differently.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/json_util.h"
#include "text/added_tokens.h"
#include "text/bpe.h"
#include "text/tokenizer_json.h"

namespace vlmq::text {

class Tokenizer {
public:
    static Tokenizer load(const std::filesystem::path& tokenizer_json);
    // `where` names the source in errors.
    static Tokenizer from_json(const json& tokenizer_json, const std::string& where);

    std::vector<int32_t> encode(std::string_view text) const;
    std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;

    std::optional<int32_t> token_id(std::string_view token) const;  // vocab or added token
    // The stored token text (byte-level alphabet for vocab entries); fails for unknown ids.
    const std::string& token(int32_t id) const;
    bool is_special(int32_t id) const;
    // len(tokenizer) in transformers: highest id + 1 (vocab plus added tokens).
    size_t vocab_size() const { return kind_.size(); }

private:
    enum class Kind : uint8_t { None, Vocab, Added, Special };
    Tokenizer() = default;
    static Tokenizer from_file(TokenizerFile file, const std::string& where);
    void check_id(int32_t id) const;
    const std::string& token_text(int32_t id) const;  // id already checked

    std::string where_;
    bool nfc_ = false;
    BpeModel bpe_;
    AddedTokenMatcher added_;
    std::vector<Kind> kind_;  // by id
    std::unordered_map<int32_t, size_t> added_by_id_;  // id -> index in added_.tokens()
};

}  // namespace vlmq::text
