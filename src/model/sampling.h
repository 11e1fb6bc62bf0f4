#pragma once
// Next-token choice: greedy (temperature 0) or temperature + nucleus (top-p) sampling with a seeded,
// library-independent RNG (std::mt19937_64 and our own 53-bit conversion to [0, 1)), so the same seed gives
// the same tokens on every platform.
//
// Only ids below `limit` are candidates: the embedding matrix has padding rows past the tokenizer's length
// whose logits the reference never sees (it resizes the head to len(tokenizer)).
#include <cstdint>
#include <random>

namespace vlmq::model {

struct SamplingOptions {
    double temperature = 0.0;  // 0 = greedy
    double top_p = 1.0;        // in (0, 1]; 1 = no nucleus cut
    uint64_t seed = 0;

    // Fails naming the option (--temperature, --top-p) when out of range.
    void validate() const;
};

// Index of the largest of logits[0, limit) (the first one on ties; NaN never wins).
int32_t argmax(const float* logits, int64_t limit);

class Sampler {
public:
    explicit Sampler(const SamplingOptions& opts);

    int32_t next(const float* logits, int64_t limit);
    // Uniform in [0, 1) from the top 53 bits of one 64-bit draw.
    double uniform();

private:
    SamplingOptions opts_;
    std::mt19937_64 rng_;
};

}  // namespace vlmq::model
