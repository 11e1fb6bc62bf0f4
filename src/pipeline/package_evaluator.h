#pragma once
// The Evaluator the progressive loop uses: the unquantized model answers the validation questions once (its
// teacher-forced distributions recorded), then every candidate is written as a real package in a scratch
// directory next to the output, loaded with the CPU engine and measured against that reference.
#include <filesystem>
#include <vector>

#include "calib/calib_stats.h"
#include "core/compute.h"
#include "eval/prepared.h"
#include "eval/vlm_eval.h"
#include "io/checkpoint.h"
#include "model/fastvlm.h"
#include "pipeline/progressive.h"
#include "pipeline/run_timings.h"

namespace vlmq::pipeline {

class PackageEvaluator final : public Evaluator {
public:
    // Runs the reference over `samples` (prepared from `base_model`); candidates go to `scratch`.
    PackageEvaluator(const io::Checkpoint& ckpt, const model::FastVLM& base_model,
                     const std::vector<eval::PreparedSample>& samples, const calib::CalibrationStats* stats,
                     quant::ValidationMetric metric, std::filesystem::path scratch, uint64_t max_shard_bytes,
                     bool progress, const Compute& c, RunTimings* timings = nullptr);

    Evaluation baseline() override;
    Evaluation candidate(const quant::QuantConfig& config, const std::string& label) override;

private:
    const io::Checkpoint& ckpt_;
    const std::vector<eval::PreparedSample>& samples_;
    const calib::CalibrationStats* stats_;
    std::filesystem::path scratch_;
    uint64_t max_shard_bytes_;
    const Compute& compute_;
    eval::EvalOptions options_;
    eval::ModelRun reference_;
    RunTimings* timings_;
    int step_ = 0;
};

}  // namespace vlmq::pipeline
