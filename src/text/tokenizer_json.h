#pragma once
// Reads a Hugging Face tokenizer.json in one streaming pass. model.vocab and model.merges (about
// 150k entries each for Qwen2) go straight into flat arrays; everything else is kept as a small JSON
// tree for validation. Building the full tree first would cost several times longer.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_util.h"

namespace vlmq::text {

inline constexpr int64_t kMaxTokenId = (int64_t(1) << 24) - 1;  // far above any real vocabulary

struct TokenizerFile {
    json config;  // the document without model.vocab and model.merges
    bool has_vocab = false, has_merges = false;
    std::vector<std::pair<std::string, int32_t>> vocab;         // in file order
    std::vector<std::pair<std::string, std::string>> merges;   // in rank order
};

// `where` names the file in errors ("<where>: invalid JSON: ...", "<where>: model.vocab[...] ...").
TokenizerFile parse_tokenizer_json(std::string_view text, const std::string& where);

}  // namespace vlmq::text
