#pragma once
// Runs a FastVLM over prepared VQA samples: greedy short answers, label metrics (VQA accuracy, exact match)
// when the set is labeled, and fidelity to a reference run (KLD / top-1 over the reference's answer tokens,
// answer agreement). The reference run records what later candidates are compared against.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "eval/eval_timings.h"
#include "eval/feature_store.h"
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
    // > 0: the run stopped after this many samples because `can_pass` could no longer hold; `metrics` are then
    // the best the full run could have reached (every remaining sample perfect), and fail `can_pass`.
    int64_t stopped_after = 0;
};

struct EvalOptions {
    int max_new_tokens = 16;           // VQA answers are a word or phrase
    quant::ValidationMetric metric = quant::ValidationMetric::Agreement;  // which one Metrics::accuracy holds
    bool record_logits = false;        // keep teacher-forced logits (for use as a reference)
    bool progress = true;
    std::string label;                 // shown in the progress line
    EvalTimings* timings = nullptr;    // when set, phase times are added here
    // Image features by sample: read from here when present, otherwise encoded and put here. The caller keeps
    // a store only for models whose vision tower and projector are the same.
    FeatureStore* features = nullptr;
    // Early stop (with a reference): after each sample, the best metrics the whole run could still reach; once
    // this returns false the run stops. The result's pass/fail under the same test is the exhaustive run's.
    std::function<bool(const Metrics&)> can_pass;
};

ModelRun run_model(const model::FastVLM& model, const std::vector<PreparedSample>& samples,
                   const ReferenceRun* reference, const Compute& c, const EvalOptions& options);

}  // namespace vlmq::eval
