#pragma once
// The Evaluator the progressive loop uses: the unquantized model answers the validation questions once (its
// teacher-forced distributions recorded), then every candidate is written as a real package in a scratch
// directory next to the output, loaded with the CPU engine and measured against that reference.
//
// Work a candidate did not change is not redone: a candidate whose vision tower and projector are stored as in
// an earlier model's (decided from the plan: formats, rounding, AWQ scalings of those tensors) reuses that
// model's image features per sample. Features are kept for the two most recently used image paths (the loop's
// current model's is the one its next candidates use), each in memory up to half of `feature_cache_bytes` and
// spilled past it to a file in the scratch directory.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "calib/calib_stats.h"
#include "core/compute.h"
#include "eval/feature_store.h"
#include "eval/prepared.h"
#include "eval/vlm_eval.h"
#include "io/checkpoint.h"
#include "model/fastvlm.h"
#include "pipeline/progressive.h"
#include "pipeline/run_timings.h"
#include "quant/plan.h"

namespace vlmq::pipeline {

struct EvaluatorOptions {
    quant::ValidationMetric metric = quant::ValidationMetric::Agreement;
    std::filesystem::path scratch;  // must exist: candidate packages and feature spill files
    uint64_t max_shard_bytes = 2'000'000'000ull;
    bool progress = true;
    bool early_stop = true;  // stop validating a candidate once its failure is certain
    uint64_t feature_cache_bytes = 1ull << 30;
    RunTimings* timings = nullptr;
};

class PackageEvaluator final : public Evaluator {
public:
    // Runs the reference over `samples` (prepared from `base_model`).
    PackageEvaluator(const io::Checkpoint& ckpt, const model::FastVLM& base_model,
                     const std::vector<eval::PreparedSample>& samples, const calib::CalibrationStats* stats,
                     const EvaluatorOptions& options, const Compute& c);

    Evaluation baseline() override;
    Evaluation candidate(const quant::QuantConfig& config, const std::string& label) override;
    Evaluation candidate(const quant::QuantConfig& config, const std::string& label,
                         const Acceptance& passes) override;

private:
    struct FeatureSlot {
        std::string key;  // image_path_key of the model whose features these are
        std::unique_ptr<eval::FeatureStore> store;
        int64_t last_use = 0;
    };
    FeatureSlot new_slot(std::string key);
    eval::FeatureStore* features_for(const std::string& key);

    const io::Checkpoint& ckpt_;
    const std::vector<eval::PreparedSample>& samples_;
    const calib::CalibrationStats* stats_;
    EvaluatorOptions options_;
    const Compute& compute_;
    eval::ModelRun reference_;
    FeatureSlot slots_[2];
    int64_t uses_ = 0;
    int step_ = 0, stores_ = 0;
};

// What a package's image path is made of: each vision tower / projector tensor not stored exactly as in the
// source, with its format, rounding algorithm and AWQ scalings; "" when all are as in the source.
std::string image_path_key(const quant::Plan& plan);

}  // namespace vlmq::pipeline
