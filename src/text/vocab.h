#pragma once
// Flat (open-addressing) lookup tables for the BPE model. A Qwen2 vocabulary has ~150k tokens and
// ~150k merges; node-based maps made loading several times slower through cache misses.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vlmq::text {

// Token text <-> id. Ids may have holes (ids used only by added tokens).
class Vocab {
public:
    Vocab() = default;
    // Fails (naming `where`) on duplicate ids or duplicate tokens.
    Vocab(std::vector<std::pair<std::string, int32_t>> entries, const std::string& where);

    std::optional<int32_t> id(std::string_view token) const;
    bool has_id(int32_t id) const { return id >= 0 && size_t(id) < present_.size() && present_[size_t(id)]; }
    const std::string& token(int32_t id) const { return tokens_[size_t(id)]; }  // requires has_id(id)
    size_t id_end() const { return tokens_.size(); }  // highest id + 1

private:
    struct Slot {
        uint32_t tag;  // low bits of the hash, to skip most string compares
        int32_t id;    // -1: empty
    };
    std::vector<std::string> tokens_;
    std::vector<bool> present_;
    std::vector<Slot> slots_;
    size_t mask_ = 0;
};

// (left id, right id) -> (rank, merged id).
class MergeTable {
public:
    struct Target {
        int32_t rank, id;
    };
    explicit MergeTable(size_t expected = 0);
    // A repeated pair keeps the last value, as the reference's map construction does.
    void insert_or_assign(int32_t left, int32_t right, Target target);
    const Target* find(int32_t left, int32_t right) const;

private:
    static uint64_t key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
    static constexpr uint64_t kEmpty = ~uint64_t(0);  // never a key: ids are below 2^31
    struct Slot {
        uint64_t key;
        Target target;
    };
    void grow();
    std::vector<Slot> slots_;
    size_t mask_ = 0, size_ = 0;
};

}  // namespace vlmq::text
