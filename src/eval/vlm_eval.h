#pragma once
// Runs a FastVLM over prepared VQA samples: greedy short answers, label metrics (VQA accuracy, exact match)
// when the set is labeled, and fidelity to a reference run (KLD / top-1 over the reference's answer tokens,
// answer agreement). The reference run records what later candidates are compared against.
#include <map>
#include <string>
#include <vector>

#include "eval/eval_timings.h"
#include "eval/prepared.h"
#include "eval/metrics.h"
#include "eval/vqa_score.h"
#include "quant/quant_config.h"

namespace vlmq::eval {

struct ReferenceRun {
    std::vector<std::string> answers;                // the reference model's greedy answers
    std::vector<std::vector<int32_t>> answer_ids;    // its generated ids (incl. <|im_end|>)
    std::vector<std::vector<float>> logits;          // teacher-forced logits over answer_ids, [n, vocab_limit]
    int64_t vocab = 0;
};

struct ModelRun {
    Predictions predictions;  // question_id -> answer text
    ReferenceRun record;      // this run as a reference for others (logits only when recorded)
    Metrics metrics;
};

struct EvalOptions {
    int max_new_tokens = 16;           // VQA answers are a word or phrase
    quant::ValidationMetric metric = quant::ValidationMetric::Agreement;  // which one Metrics::accuracy holds
    bool record_logits = false;        // keep teacher-forced logits (for use as a reference)
    bool progress = true;
    std::string label;                 // shown in the progress line
    EvalTimings* timings = nullptr;    // when set, phase times are added here
};

ModelRun run_model(const model::FastVLM& model, const std::vector<PreparedSample>& samples,
                   const ReferenceRun* reference, const Compute& c, const EvalOptions& options);

}  // namespace vlmq::eval
