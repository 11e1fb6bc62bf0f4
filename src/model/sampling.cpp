#include "model/sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/error.h"

namespace vlmq::model {

void SamplingOptions::validate() const {
    if (!std::isfinite(temperature) || temperature < 0.0)
        fail("--temperature must be a finite number >= 0, got {}", temperature);
    if (!std::isfinite(top_p) || top_p <= 0.0 || top_p > 1.0) fail("--top-p must be in (0, 1], got {}", top_p);
}

int32_t argmax(const float* logits, int64_t limit) {
    int32_t best = 0;
    float best_v = -INFINITY;
    for (int64_t i = 0; i < limit; ++i)
        if (logits[i] > best_v) {
            best_v = logits[i];
            best = int32_t(i);
        }
    return best;
}

Sampler::Sampler(const SamplingOptions& opts) : opts_(opts), rng_(opts.seed) { opts_.validate(); }

double Sampler::uniform() { return double(rng_() >> 11) * 0x1.0p-53; }

int32_t Sampler::next(const float* logits, int64_t limit) {
    if (opts_.temperature == 0.0 || limit <= 1) return argmax(logits, limit);
    const int32_t top = argmax(logits, limit);
    const double mx = double(logits[top]) / opts_.temperature;
    if (!std::isfinite(mx)) return top;
    // Unnormalized probabilities exp(l/T - max), in double.
    std::vector<double> p(static_cast<size_t>(limit));
    for (int64_t i = 0; i < limit; ++i) {
        const double z = double(logits[i]) / opts_.temperature - mx;
        p[size_t(i)] = std::isnan(z) ? 0.0 : std::exp(z);
    }
    std::vector<int32_t> order(static_cast<size_t>(limit));
    std::iota(order.begin(), order.end(), 0);
    size_t kept = order.size();
    double total = std::accumulate(p.begin(), p.end(), 0.0);
    if (opts_.top_p < 1.0) {
        // Most probable first (ties by id, so the order is the same everywhere); keep the smallest prefix whose
        // mass reaches top_p.
        std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
            return p[size_t(a)] != p[size_t(b)] ? p[size_t(a)] > p[size_t(b)] : a < b;
        });
        double cum = 0.0;
        kept = 0;
        while (kept < order.size() && cum < opts_.top_p * total) cum += p[size_t(order[kept++])];
        total = cum;
    }
    const double u = uniform() * total;
    double cum = 0.0;
    for (size_t i = 0; i < kept; ++i) {
        cum += p[size_t(order[i])];
        if (u < cum) return order[i];
    }
    return order[kept - 1];  // u landed on the rounding slack at the end
}

}  // namespace vlmq::model
