#include "model/kv_cache.h"

#include <algorithm>
#include <cassert>

#include "core/error.h"

namespace vlmq::model {

KvCache::KvCache(const Qwen2Config& cfg)
    : kv_dim_(cfg.kv_dim()), max_positions_(cfg.max_positions), k_(size_t(cfg.num_layers)), v_(size_t(cfg.num_layers)) {}

void KvCache::reserve(int64_t positions) {
    if (positions > max_positions_)
        fail("sequence of {} tokens exceeds max_position_embeddings ({})", positions, max_positions_);
    if (positions <= capacity_) return;
    // Grow geometrically so that token-by-token decoding reallocates O(log n) times.
    const int64_t cap = std::min(max_positions_, std::max({positions, capacity_ * 2, int64_t(64)}));
    for (auto& k : k_) k.resize(size_t(cap * kv_dim_));
    for (auto& v : v_) v.resize(size_t(cap * kv_dim_));
    capacity_ = cap;
}

void KvCache::advance(int64_t n) {
    assert(length_ + n <= capacity_);
    length_ += n;
}

void KvCache::truncate(int64_t n) {
    assert(n >= 0);
    length_ = std::min(length_, n);
}

}  // namespace vlmq::model
