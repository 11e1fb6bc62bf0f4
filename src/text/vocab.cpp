#include "text/vocab.h"

#include <algorithm>
#include <functional>

#include "core/error.h"

namespace vlmq::text {

namespace {

size_t table_size(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n) cap <<= 1;  // load factor <= 1/2
    return cap;
}

uint64_t mix64(uint64_t x) {  // splitmix64 finalizer
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

Vocab::Vocab(std::vector<std::pair<std::string, int32_t>> entries, const std::string& where) {
    int32_t max_id = -1;
    for (const auto& e : entries) max_id = std::max(max_id, e.second);
    tokens_.resize(size_t(max_id + 1));
    present_.assign(size_t(max_id + 1), false);
    slots_.assign(table_size(entries.size()), Slot{0, -1});
    mask_ = slots_.size() - 1;
    for (auto& [token, id] : entries) {
        if (id < 0) fail("{}: model.vocab: negative id {} for '{}'", where, id, token);
        if (present_[size_t(id)])
            fail("{}: model.vocab: id {} is used by both '{}' and '{}'", where, id, tokens_[size_t(id)], token);
        const uint64_t h = std::hash<std::string_view>{}(token);
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.id < 0) {
                s = Slot{uint32_t(h >> 32), id};
                break;
            }
            if (s.tag == uint32_t(h >> 32) && tokens_[size_t(s.id)] == token)
                fail("{}: model.vocab: token '{}' appears twice", where, token);
        }
        present_[size_t(id)] = true;
        tokens_[size_t(id)] = std::move(token);
    }
}

std::optional<int32_t> Vocab::id(std::string_view token) const {
    if (slots_.empty()) return std::nullopt;
    const uint64_t h = std::hash<std::string_view>{}(token);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        if (s.id < 0) return std::nullopt;
        if (s.tag == uint32_t(h >> 32) && tokens_[size_t(s.id)] == token) return s.id;
    }
}

MergeTable::MergeTable(size_t expected) {
    slots_.assign(table_size(expected), Slot{kEmpty, {0, 0}});
    mask_ = slots_.size() - 1;
}

void MergeTable::grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{kEmpty, {0, 0}});
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const Slot& s : old)
        if (s.key != kEmpty) insert_or_assign(int32_t(s.key >> 32), int32_t(uint32_t(s.key)), s.target);
}

void MergeTable::insert_or_assign(int32_t left, int32_t right, Target target) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    const uint64_t k = key(left, right);
    for (size_t i = mix64(k) & mask_;; i = (i + 1) & mask_) {
        Slot& s = slots_[i];
        if (s.key == kEmpty) {
            s = Slot{k, target};
            ++size_;
            return;
        }
        if (s.key == k) {
            s.target = target;
            return;
        }
    }
}

const MergeTable::Target* MergeTable::find(int32_t left, int32_t right) const {
    const uint64_t k = key(left, right);
    for (size_t i = mix64(k) & mask_;; i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        if (s.key == k) return &s.target;
        if (s.key == kEmpty) return nullptr;
    }
}

}  // namespace vlmq::text
