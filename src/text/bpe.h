#pragma once
// Byte-level BPE: a word's bytes start as one symbol each and are merged pairwise, always applying
// the lowest-ranked merge present (leftmost first on ties), until no listed merge applies.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/vocab.h"

namespace vlmq::text {

class BpeModel {
public:
    BpeModel();
    // vocab: token text (byte-level alphabet) and id; merges in rank order. `where` names the source
    // file in errors.
    BpeModel(std::vector<std::pair<std::string, int32_t>> vocab,
             const std::vector<std::pair<std::string, std::string>>& merges, bool ignore_merges,
             const std::string& where);
    ~BpeModel();
    BpeModel(BpeModel&&) noexcept;
    BpeModel& operator=(BpeModel&&) noexcept;

    // Appends the ids of one pre-tokenized piece (raw bytes, not yet byte-level mapped).
    void encode_word(std::string_view bytes, std::vector<int32_t>& out) const;

    const Vocab& vocab() const { return vocab_; }

private:
    void merge_symbols(std::string_view bytes, std::vector<int32_t>& out) const;

    Vocab vocab_;
    MergeTable merges_;
    std::array<int32_t, 256> byte_ids_{};  // -1 where the vocab lacks the byte's symbol
    bool ignore_merges_ = false;
    std::string where_;

    struct Cache;  // per-model word cache, guarded by its own mutex
    std::unique_ptr<Cache> cache_;
};

}  // namespace vlmq::text
