#pragma once
// Progressive quantization (ADR-001 "Implementation Strategy" 2-3): component by component, quantize with
// the planned precision, validate the cumulative model, keep the step only if accuracy stays within the
// budget; otherwise retry with data-aware rounding, then fall back to higher precision (per component,
// or per layer/unit ranked by sensitivity). The loop is independent of how candidates are evaluated.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json_util.h"
#include "quant/quant_config.h"

namespace vlmq::eval {

struct Metrics {
    double accuracy = 0.0;  // in the configured metric (vqa/exact: vs labels; agreement: vs the baseline)
    double vqa = -1.0, exact = -1.0;  // label metrics when labels exist (-1 otherwise)
    double agreement = 1.0;           // answers equal to the unquantized model's (normalized)
    double kld = 0.0;                 // mean KL(baseline || candidate) over answer positions
    double top1 = 1.0;                // next-token top-1 agreement over answer positions
    int64_t samples = 0;
};

struct Evaluation {
    Metrics metrics;
    int64_t size_bytes = 0;  // tensor bytes of the candidate package
};

// Evaluates a full-model configuration (components not yet processed are "keep").
using EvaluateFn = std::function<Evaluation(const quant::QuantConfig& config, const std::string& label)>;

struct ComponentInfo {
    std::string name;
    int64_t source_bytes = 0;
    std::vector<std::string> units;  // per-layer fallback units, most sensitive first
};

struct Step {
    std::string component;
    std::string precision;  // "int4_g32_sym", "f16", "keep"
    std::string algorithm;  // rtn / weighted / gptq / awq ("" for float formats)
    std::string decision;   // kept | rejected | retried | fell_back
    bool accepted = false;
    std::vector<std::string> units;  // units moved to `precision` (per-unit fallback), empty = whole component
    Evaluation eval;
    double retention = 0.0;
    std::string note;
};

struct ProgressiveResult {
    std::string metric;
    Evaluation baseline;
    std::vector<Step> steps;
    quant::QuantConfig final_config;
    Evaluation final_eval;
    double final_retention = 0.0;
    bool passed_retention = false;
};

struct ProgressiveOptions {
    std::function<void(const Step&)> on_step;  // progress reporting
};

// `source_config` supplies the plan (precision + algorithm per component), validation budget, order, fallback chain.
ProgressiveResult run_progressive(const quant::QuantConfig& source_config, const std::vector<ComponentInfo>& components,
                                  const EvaluateFn& evaluate, const ProgressiveOptions& options = {});

// Whether a candidate passes the budget relative to the baseline; sets *retention.
bool passes(const quant::ValidationConfig& v, const Metrics& baseline, const Metrics& candidate, double* retention);

// Regex matching every tensor of a unit ("model.layers.3" -> "^model\.layers\.3\.").
std::string unit_regex(const std::string& unit);

}  // namespace vlmq::eval
