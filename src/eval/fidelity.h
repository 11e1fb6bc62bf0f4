#pragma once
// Fidelity of a quantized model to the unquantized one on the same prompts (no labels needed):
// KL divergence of next-token distributions over answer positions, top-1 agreement, answer agreement.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vlmq::eval {

// log-softmax of logits[0..n) into out (masked entries: -inf logits stay -inf).
void log_softmax(std::span<const float> logits, std::span<double> out);

// KL(P || Q) in nats from two logit rows of equal length (P = reference).
double kl_divergence(std::span<const float> ref_logits, std::span<const float> logits);

// Accumulates per-position statistics over many samples.
struct FidelityAccumulator {
    double kld_sum = 0.0;
    int64_t positions = 0, top1_same = 0;
    int64_t answers = 0, answers_same = 0;

    // ref/q: [n_pos, vocab] row-major logits at the same answer positions.
    void add_positions(std::span<const float> ref, std::span<const float> q, int64_t vocab);
    // Answers are compared after the official VQA normalization.
    void add_answer(const std::string& ref, const std::string& q);

    double mean_kld() const { return positions ? kld_sum / double(positions) : 0.0; }
    double top1_agreement() const { return positions ? double(top1_same) / double(positions) : 1.0; }
    double answer_agreement() const { return answers ? double(answers_same) / double(answers) : 1.0; }
};

}  // namespace vlmq::eval
