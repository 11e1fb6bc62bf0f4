#include "synth/synth_weights.h"

#include <cmath>

#include "arch/fastvlm_names.h"

namespace vlmq::synth {

uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

float approx_normal(uint64_t bits) {
    const float sum = float(bits & 0xffff) + float((bits >> 16) & 0xffff) + float((bits >> 32) & 0xffff) +
                      float(bits >> 48);
    // mean 2, variance 4/12 (in units of 65536)
    return (sum * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
}

namespace {

uint64_t hash_name(const std::string& s, uint64_t seed) {
    uint64_t h = 1469598103934665603ull ^ seed;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    uint64_t st = h;
    return splitmix64(st);
}

using namespace arch::fastvlm;

// RepMixer (token_mixer.reparam_conv) and RepCPE (network.{i}.reparam_conv) kernels: identity + a residual.
bool folds_identity(std::string_view n) {
    if (n.ends_with(weight(kMixerConv))) return true;
    const std::string head = vision_name(kNetwork), tail = std::string(".") + kReparamConv + kWeight;
    if (!n.starts_with(head) || !n.ends_with(tail) || n.size() <= head.size() + tail.size()) return false;
    const std::string_view index = n.substr(head.size(), n.size() - head.size() - tail.size());
    return index.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

WeightGenerator::WeightGenerator(const io::TensorDecl& t, uint64_t seed) : key_(hash_name(t.name, seed)) {
    rows_ = t.shape.empty() ? 1 : t.shape[0];
    cols_ = 1;
    for (size_t i = 1; i < t.shape.size(); ++i) cols_ *= t.shape[i];
    const std::string& n = t.name;
    if (n.ends_with(kBnVar)) {
        kind_ = Kind::Variance;
    } else if (n.ends_with(kBnMean)) {
        kind_ = Kind::Mean;
    } else if (n.ends_with("norm.weight") || n.ends_with(weight(kFfnBatchNorm))) {  // RMSNorm, LayerNormChannel, BN
        kind_ = Kind::Gain;
    } else if (n.find(kLayerScale) != std::string::npos) {
        kind_ = Kind::Scale;
    } else if (n.ends_with(kBias) || t.shape.size() <= 1) {
        kind_ = Kind::Bias;
    } else {
        kind_ = Kind::Matrix;
        sigma_ = 1.0f / std::sqrt(float(cols_));
        col_scale_.assign(size_t(cols_), 1.0f);
        // ~0.5% of input channels carry 8-16x larger weights (the outliers activation-aware methods target).
        for (int64_t c = 0; c < cols_; ++c) {
            uint64_t st = key_ ^ (0xc0ffeeull + uint64_t(c) * 0x9e3779b97f4a7c15ull);
            const uint64_t r = splitmix64(st);
            if (r % 200 == 0) col_scale_[size_t(c)] = 8.0f + float((r >> 20) % 9);
        }
        const bool depthwise = t.shape.size() == 4 && t.shape[1] == 1 && t.shape[2] > 1;
        if (depthwise && folds_identity(n)) {
            // Re-parameterised mixers are identity + a small learned residual: keep the residual small so 40
            // stacked blocks neither explode nor vanish (activations stay O(1..10), like a trained tower).
            identity_tap_ = cols_ / 2;
            sigma_ *= 0.1f;
        }
    }
}

void WeightGenerator::rows(int64_t row0, int64_t nrows, float* out) const {
    for (int64_t r = row0; r < row0 + nrows; ++r) {
        uint64_t st = key_ ^ (uint64_t(r) * 0xd1342543de82ef95ull);
        float* o = out + (r - row0) * cols_;
        switch (kind_) {
            case Kind::Matrix: {
                const float row_scale = std::exp(0.3f * approx_normal(splitmix64(st))) * sigma_;
                for (int64_t c = 0; c < cols_; ++c)
                    o[c] = approx_normal(splitmix64(st)) * row_scale * col_scale_[size_t(c)];
                if (identity_tap_ >= 0) o[identity_tap_] += 1.0f;
                break;
            }
            case Kind::Gain:
                for (int64_t c = 0; c < cols_; ++c) o[c] = 1.0f + 0.1f * approx_normal(splitmix64(st));
                break;
            case Kind::Bias:
                for (int64_t c = 0; c < cols_; ++c) o[c] = 0.02f * approx_normal(splitmix64(st));
                break;
            case Kind::Scale:
                for (int64_t c = 0; c < cols_; ++c) o[c] = 0.01f + 0.01f * std::fabs(approx_normal(splitmix64(st)));
                break;
            case Kind::Mean:
                for (int64_t c = 0; c < cols_; ++c) o[c] = 0.1f * approx_normal(splitmix64(st));
                break;
            case Kind::Variance:
                for (int64_t c = 0; c < cols_; ++c) o[c] = 0.5f + 0.5f * std::fabs(approx_normal(splitmix64(st)));
                break;
        }
    }
}

}  // namespace vlmq::synth
