#include "text/bpe.h"

#include <algorithm>
#include <mutex>
#include <queue>
#include <unordered_map>

#include "core/error.h"
#include "text/byte_level.h"

namespace vlmq::text {

namespace {

constexpr size_t kCacheCapacity = 10000;  // words; like the reference, entries are only added until full

struct Candidate {
    int32_t rank, pos, id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

struct Symbol {
    int32_t id, prev, next;
    bool alive;
};

}  // namespace

struct BpeModel::Cache {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>> words;
};

BpeModel::BpeModel() : cache_(std::make_unique<Cache>()) { byte_ids_.fill(-1); }

BpeModel::BpeModel(std::vector<std::pair<std::string, int32_t>> vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges, bool ignore_merges,
                   const std::string& where)
    : vocab_(std::move(vocab), where),
      merges_(merges.size()),
      ignore_merges_(ignore_merges),
      where_(where),
      cache_(std::make_unique<Cache>()) {
    for (int b = 0; b < 256; ++b) byte_ids_[size_t(b)] = vocab_.id(byte_symbol(uint8_t(b))).value_or(-1);
    std::string merged;
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const auto& [a, b] = merges[rank];
        const auto left = vocab_.id(a), right = vocab_.id(b);
        if (!left || !right)
            fail("{}: model.merges[{}]: token '{}' is not in model.vocab", where, rank, left ? b : a);
        merged.assign(a);
        merged.append(b);
        const auto target = vocab_.id(merged);
        if (!target) fail("{}: model.merges[{}]: merged token '{}' is not in model.vocab", where, rank, merged);
        merges_.insert_or_assign(*left, *right, {int32_t(rank), *target});
    }
}

BpeModel::~BpeModel() = default;
BpeModel::BpeModel(BpeModel&&) noexcept = default;
BpeModel& BpeModel::operator=(BpeModel&&) noexcept = default;

void BpeModel::encode_word(std::string_view bytes, std::vector<int32_t>& out) const {
    if (bytes.empty()) return;
    if (ignore_merges_) {
        std::string symbols;
        for (const char c : bytes) symbols += byte_symbol(uint8_t(c));
        if (const auto whole = vocab_.id(symbols)) {
            out.push_back(*whole);
            return;
        }
    }
    const std::string word(bytes);
    {
        std::lock_guard lock(cache_->mutex);
        if (const auto it = cache_->words.find(word); it != cache_->words.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    std::vector<int32_t> ids;
    merge_symbols(bytes, ids);
    out.insert(out.end(), ids.begin(), ids.end());
    std::lock_guard lock(cache_->mutex);
    if (cache_->words.size() < kCacheCapacity) cache_->words.emplace(word, std::move(ids));
}

void BpeModel::merge_symbols(std::string_view bytes, std::vector<int32_t>& out) const {
    const int32_t n = int32_t(bytes.size());
    std::vector<Symbol> sym(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) {
        const uint8_t b = uint8_t(bytes[size_t(i)]);
        if (byte_ids_[b] < 0) fail("{}: model.vocab has no symbol for byte 0x{:02x}", where_, b);
        sym[size_t(i)] = Symbol{byte_ids_[b], i - 1, i + 1 < n ? i + 1 : -1, true};
    }
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
    auto push_pair = [&](int32_t pos) {
        const int32_t next = sym[size_t(pos)].next;
        if (next < 0) return;
        if (const auto* m = merges_.find(sym[size_t(pos)].id, sym[size_t(next)].id))
            queue.push({m->rank, pos, m->id});
    };
    for (int32_t i = 0; i + 1 < n; ++i) push_pair(i);

    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol& s = sym[size_t(top.pos)];
        if (!s.alive || s.next < 0) continue;
        // Stale entry: one side was merged since it was queued.
        const auto* m = merges_.find(s.id, sym[size_t(s.next)].id);
        if (!m || m->rank != top.rank) continue;
        Symbol& right = sym[size_t(s.next)];
        s.id = top.id;
        right.alive = false;
        s.next = right.next;
        if (s.next >= 0) sym[size_t(s.next)].prev = top.pos;
        if (s.prev >= 0) push_pair(s.prev);
        push_pair(top.pos);
    }
    for (int32_t i = 0; i >= 0 && i < n; i = sym[size_t(i)].next) out.push_back(sym[size_t(i)].id);
}

}  // namespace vlmq::text
