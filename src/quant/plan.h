#pragma once
// The mixing policy: a pure function from (tensor list, architecture table, config) to one entry per tensor
// saying which component owns it and how it will be stored. Printable, testable, no I/O.
#include <string>
#include <vector>

#include "core/dtype.h"
#include "io/safetensors.h"
#include "arch/arch_table.h"
#include "calib/calib_stats.h"
#include "quant/awq_plan.h"
#include "quant/quant_config.h"

namespace vlmq::quant {

using TensorMeta = io::TensorDecl;

// Why an entry got its precision.
enum class PlanReason {
    NeverQuantized,  // the architecture's Keep role: 1-D, norm, bias, BN statistic or layer scale
    Override,        // the config's `overrides` regex `PlanEntry::override_pattern`
    Component,       // the component's precision in the config
    NotInConfig,     // the config does not name the component: kept as in the source
};

struct PlanEntry {
    TensorMeta tensor;
    std::string component;
    std::string unit;          // e.g. "model.layers.3" (for per-unit fallback)
    bool keep = true;          // stored exactly as in the source
    Precision precision;       // when !keep: target format (after shape fallback) + algorithm
    PlanReason reason = PlanReason::NotInConfig;
    std::string override_pattern;  // the matching `overrides` regex (reason Override)
    bool awq_producer = false;     // kept tensor divided by AWQ scales, hence stored as f32
    std::string note;          // shape fallback note, "" if none
    int64_t rows = 0, cols = 0;

    std::string why() const;  // the reason in words (--dry-run, manifest "reason")
    int64_t stored_bytes() const;
    int64_t source_bytes() const;
};

struct Plan {
    std::vector<PlanEntry> entries;  // in tensor-name order
    std::vector<std::string> components;
    AwqPlan awq;  // filled by plan_awq (quant/awq_transform) when statistics are given
};

// Fails for a tensor no rule claims.
Plan make_plan(const std::vector<TensorMeta>& tensors, const arch::ArchTable& arch, const QuantConfig& config);

// A data-aware algorithm needs the input statistics of its tensor (gptq and refine: X^T X too); the calibration
// pass records them for matrix products only, not for kxk / depthwise conv kernels. Such entries are rounded by
// the step-down rule of rounding::quantize_matrix (to weighted, else rtn); this says so in their note, e.g.
// "gptq -> rtn: no input statistics (3x3 conv kernel)". AWQ-scaled tensors are left alone.
void note_statistics_fallbacks(Plan& plan, const calib::CalibrationStats& stats);

}  // namespace vlmq::quant
