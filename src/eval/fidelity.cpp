#include "eval/fidelity.h"

#include <algorithm>
#include <cmath>

#include "eval/vqa_normalize.h"

namespace vlmq::eval {

void log_softmax(std::span<const float> logits, std::span<double> out) {
    double mx = -INFINITY;
    for (float v : logits) mx = std::max(mx, double(v));
    double sum = 0;
    for (float v : logits) sum += std::isinf(v) && v < 0 ? 0.0 : std::exp(double(v) - mx);
    const double lse = mx + std::log(sum);
    for (size_t i = 0; i < logits.size(); ++i) out[i] = double(logits[i]) - lse;
}

double kl_divergence(std::span<const float> ref_logits, std::span<const float> logits) {
    std::vector<double> lp(ref_logits.size()), lq(logits.size());
    log_softmax(ref_logits, lp);
    log_softmax(logits, lq);
    double kl = 0;
    for (size_t i = 0; i < lp.size(); ++i) {
        if (std::isinf(lp[i])) continue;  // p = 0 contributes nothing
        kl += std::exp(lp[i]) * (lp[i] - lq[i]);
    }
    return std::max(0.0, kl);
}

void FidelityAccumulator::add_positions(std::span<const float> ref, std::span<const float> q, int64_t vocab) {
    const int64_t n = int64_t(ref.size()) / vocab;
    for (int64_t p = 0; p < n; ++p) {
        const auto r = ref.subspan(size_t(p * vocab), size_t(vocab));
        const auto s = q.subspan(size_t(p * vocab), size_t(vocab));
        kld_sum += kl_divergence(r, s);
        top1_same += (std::max_element(r.begin(), r.end()) - r.begin()) == (std::max_element(s.begin(), s.end()) - s.begin());
        ++positions;
    }
}

void FidelityAccumulator::add_answer(const std::string& ref, const std::string& q) {
    ++answers;
    answers_same += normalize(Normalizer::official, ref) == normalize(Normalizer::official, q);
}

}  // namespace vlmq::eval
