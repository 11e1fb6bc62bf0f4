#pragma once
// Size-budgeted allocation (`--target-size MB`): when a configuration's tensors exceed the budget, lower the
// precision of whole units (decoder layers, vision blocks, the embeddings, the LM head) one rung at a time
// (fp32/bf16/fp16 -> int8 -> int4 -> int3), always taking the step with the least estimated accuracy loss per byte
// saved, until the plan fits. The loss estimate is each tensor's relative output error under the
// calibration importances (plain relative weight error without statistics), from an in-memory RTN trial.
#include <string>
#include <vector>

#include "calib/calib_stats.h"
#include "io/checkpoint.h"
#include "core/compute.h"
#include "quant/quant_config.h"

namespace vlmq::pipeline {

struct SizeBudgetResult {
    quant::QuantConfig config;
    int64_t bytes_before = 0, bytes_after = 0;
    bool fits = false;
    std::vector<std::string> moves;  // "model.layers.3 -> int4_g32_sym (saves 1.2 MB, loss 0.0031)"
};

SizeBudgetResult fit_size_budget(const io::Checkpoint& ckpt, const quant::QuantConfig& config, int64_t target_bytes,
                                 const calib::CalibrationStats* stats, const Compute& c);

}  // namespace vlmq::pipeline
