#pragma once
// Progressive quantization (ADR-001 "Implementation Strategy" 2-3; docs/quantize.md §5): component by
// component, quantize with the planned precision, validate the cumulative model, keep the step only if accuracy
// stays within the budget; otherwise retry with data-aware rounding, then fall back to higher precision (per
// component, or per unit: ranked by measured sensitivity, raised one at a time with an undo, then pruned back to
// the smallest set that still meets the budget); finally, optionally, fit the result to a size budget. The loop
// decides; an Evaluator measures.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "eval/metrics.h"
#include "pipeline/size_budget.h"
#include "quant/quant_config.h"

namespace vlmq::pipeline {

struct Evaluation {
    eval::Metrics metrics;
    int64_t size_bytes = 0;  // tensor bytes of the candidate package
    // > 0: validation stopped after this many samples because the step's test could no longer pass; metrics are
    // the best the remaining samples could have made of it.
    int64_t stopped_after = 0;
};

// The step's acceptance test on a candidate's metrics.
using Acceptance = std::function<bool(const eval::Metrics&)>;

// Measures configurations (components not yet processed are "keep").
class Evaluator {
public:
    virtual ~Evaluator() = default;
    virtual Evaluation baseline() = 0;  // the unquantized model: the reference every candidate is compared with
    virtual Evaluation candidate(const quant::QuantConfig& config, const std::string& label) = 0;
    // With the step's test: an evaluator may stop once `passes` cannot hold whatever the remaining samples give,
    // which leaves the decision as it would be after all of them.
    virtual Evaluation candidate(const quant::QuantConfig& config, const std::string& label, const Acceptance& passes) {
        (void)passes;
        return candidate(config, label);
    }
};

struct ComponentInfo {
    std::string name;
    int64_t source_bytes = 0;
    std::vector<std::string> units;  // per-unit fallback units, most sensitive first
};

enum class StepDecision {
    Kept,      // the planned precision met the budget (or the config does not quantize the component)
    Rejected,  // the planned precision missed the budget
    Retried,   // data-aware rounding at the planned precision
    FellBack,  // a higher precision from the fallback chain (or, when none passed, the source precision); per
               // unit: one more unit raised to it
    Ranked,    // per-unit fallback: one unit raised alone, measuring its sensitivity
    Undone,    // per-unit fallback: a move that made the candidate worse (or broke the budget), reverted
    Lowered,   // per-unit fallback: a raised unit lowered back while the budget still holds (a smaller package)
    FitSize,   // lowered units until the package fits the size budget
};
// kept | rejected | retried | fell_back | ranked | undone | lowered | fit_size
std::string decision_name(StepDecision d);

struct Step {
    std::string component;           // "all" for the size fit
    quant::Precision precision;      // keep = as in the source
    StepDecision decision = StepDecision::Kept;
    bool accepted = false;
    std::vector<std::string> units;  // units at `precision` in this candidate (per-unit fallback), empty = whole
                                     // component
    std::vector<std::string> moves;  // FitSize: the unit moves, in order
    Evaluation eval;
    double retention = 0.0;
    std::string note;

    std::string format_label() const;     // "int4_g32_sym", "f16", "keep", "7 unit moves"
    std::string algorithm_label() const;  // "rtn" / "weighted" / "gptq" / "awq"; "" for float formats and keep
};

struct ProgressiveOptions {
    std::optional<int64_t> target_size_bytes;  // fit to this size after the components (--target-size)
    std::function<SizeBudgetResult(const quant::QuantConfig&)> fit_size;  // required with target_size_bytes
    std::function<void(const Step&)> on_step;                    // progress reporting
};

struct ProgressiveResult {
    quant::ValidationMetric metric = quant::ValidationMetric::Agreement;
    Evaluation baseline;
    std::vector<Step> steps;
    quant::QuantConfig final_config;
    Evaluation final_eval;
    double final_retention = 0.0;
    bool passed_retention = false;
};

// `source_config` supplies the plan (precision + algorithm per component), validation budget, order, fallback chain.
ProgressiveResult run_progressive(const quant::QuantConfig& source_config, const std::vector<ComponentInfo>& components,
                                  Evaluator& evaluator, const ProgressiveOptions& options = {});

// Whether a candidate passes the budget relative to the baseline; sets *retention.
bool passes(const quant::ValidationConfig& v, const eval::Metrics& baseline, const eval::Metrics& candidate,
            double* retention);

}  // namespace vlmq::pipeline
