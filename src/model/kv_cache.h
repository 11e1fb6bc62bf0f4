#pragma once
// Keys and values of the positions a decoder has seen, per layer, fp32, [positions, kv_dim] row-major
// (keys after RoPE). Storage grows on demand up to max_positions; one cache belongs to one sequence.
#include <cstdint>
#include <vector>

#include "model/qwen2_config.h"

namespace vlmq::model {

class KvCache {
public:
    explicit KvCache(const Qwen2Config& cfg);

    int64_t length() const { return length_; }  // positions stored
    int64_t capacity() const { return capacity_; }
    int64_t kv_dim() const { return kv_dim_; }
    int64_t max_positions() const { return max_positions_; }

    // Makes room for `positions` in total (fails past max_positions). Invalidates pointers from k()/v().
    void reserve(int64_t positions);
    float* k(int layer) { return k_[size_t(layer)].data(); }
    float* v(int layer) { return v_[size_t(layer)].data(); }
    const float* k(int layer) const { return k_[size_t(layer)].data(); }
    const float* v(int layer) const { return v_[size_t(layer)].data(); }

    // Marks positions [length, length + n) as filled (after every layer wrote them).
    void advance(int64_t n);
    // Forgets positions from `n` on (keeps a shared prefix, e.g. the image prompt).
    void truncate(int64_t n);
    void clear() { truncate(0); }

private:
    int64_t kv_dim_, max_positions_;
    int64_t length_ = 0, capacity_ = 0;
    std::vector<std::vector<float>> k_, v_;
};

}  // namespace vlmq::model
