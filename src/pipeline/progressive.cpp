#include "pipeline/progressive.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "qformat/format_traits.h"

namespace vlmq::pipeline {

namespace {

quant::Precision keep_precision() {
    quant::Precision p;
    p.keep = true;
    return p;
}

int precision_rank(const quant::Precision& p) {
    return p.keep ? 100 : qformat::element_bits(p.format);
}

// The retries at the planned bits after the plan fails: the other data-aware algorithm (gptq, or awq when gptq was
// planned), then refinement (GPTQ codes with least-squares parameters) as the last one before more bits.
std::vector<rounding::Algorithm> retry_algorithms(rounding::Algorithm planned) {
    using rounding::Algorithm;
    if (planned == Algorithm::Refine) return {};
    return {planned == Algorithm::Gptq ? Algorithm::Awq : Algorithm::Gptq, Algorithm::Refine};
}

// What an attempt is, and so what its step is called when it passes or fails.
enum class Attempt { Planned, Retry, Fallback };

StepDecision decision_of(Attempt a, bool accepted) {
    switch (a) {
        case Attempt::Planned: return accepted ? StepDecision::Kept : StepDecision::Rejected;
        case Attempt::Retry: return StepDecision::Retried;
        case Attempt::Fallback: return StepDecision::FellBack;
    }
    return StepDecision::Rejected;
}

// The loop's state: the accepted configuration so far, its evaluation, and the steps taken.
class Loop {
public:
    Loop(const quant::QuantConfig& source, const std::vector<ComponentInfo>& components, Evaluator& evaluator,
         const ProgressiveOptions& options)
        : source_(source), components_(components), evaluator_(evaluator), options_(options) {}

    ProgressiveResult run() {
        start_from_baseline();
        for (const ComponentInfo* comp : component_order()) quantize_component(*comp);
        if (options_.target_size_bytes && current_eval_.size_bytes > *options_.target_size_bytes) fit_to_size();
        finish();
        return std::move(result_);
    }

private:
    // Phase 1: every component kept as in the source, measured once.
    void start_from_baseline() {
        result_.metric = source_.validation.metric;
        current_ = source_;
        current_.components.clear();
        for (const auto& c : components_) current_.components[c.name] = keep_precision();
        result_.baseline = evaluator_.baseline();
        current_eval_ = result_.baseline;
    }

    // As configured, then the rest largest first.
    std::vector<const ComponentInfo*> component_order() const {
        std::vector<const ComponentInfo*> order;
        for (const auto& name : source_.order) {
            auto it = std::find_if(components_.begin(), components_.end(), [&](const auto& c) { return c.name == name; });
            if (it != components_.end()) order.push_back(&*it);
        }
        const size_t configured = order.size();
        for (const auto& c : components_)
            if (std::find(order.begin(), order.end(), &c) == order.end()) order.push_back(&c);
        std::stable_sort(order.begin() + long(configured), order.end(),
                         [](const ComponentInfo* a, const ComponentInfo* b) { return a->source_bytes > b->source_bytes; });
        return order;
    }

    // Phase 2, per component: the planned precision, a data-aware retry, then the fallback chain.
    void quantize_component(const ComponentInfo& comp) {
        auto planned = source_.components.find(comp.name);
        if (planned == source_.components.end() || planned->second.keep) {
            record_unchanged(comp, StepDecision::Kept, "not quantized by the config");
            return;
        }
        const quant::Precision target = planned->second;
        if (try_whole(comp, target, Attempt::Planned)) return;
        // The ADR's post-training optimization: data-aware rounding, then refinement, before more bits.
        quant::Precision best_int = target;
        if (target.format.is_int())
            for (rounding::Algorithm a : retry_algorithms(target.algorithm)) {
                quant::Precision retry = target;
                retry.algorithm = a;
                if (try_whole(comp, retry, Attempt::Retry)) return;
                best_int = retry;
            }
        for (const quant::FallbackRung& rung : source_.fallback) {
            quant::Precision fb = rung.precision;
            if (precision_rank(fb) <= precision_rank(target)) continue;  // only rungs above the plan
            if (fb.format.is_int()) fb.algorithm = best_int.algorithm;
            const bool done = source_.per_layer_fallback && !comp.units.empty() ? try_units(comp, best_int, fb)
                                                                                 : try_whole(comp, fb, Attempt::Fallback);
            if (done) return;
        }
        record_unchanged(comp, StepDecision::FellBack, "no precision met the budget; the component stays as in the source");
        current_.components[comp.name] = keep_precision();
    }

    bool try_whole(const ComponentInfo& comp, const quant::Precision& p, Attempt attempt) {
        quant::QuantConfig cand = current_;
        cand.components[comp.name] = p;
        return try_step(comp, cand, p, attempt, {});
    }

    // Moves the most sensitive units to `fb` (the rest at `base`), doubling the count until the budget holds.
    bool try_units(const ComponentInfo& comp, const quant::Precision& base, const quant::Precision& fb) {
        for (size_t n = 1;; n = std::min(comp.units.size(), n * 2)) {
            const std::vector<std::string> units(comp.units.begin(), comp.units.begin() + long(n));
            quant::QuantConfig cand = current_;
            cand.components[comp.name] = base;
            for (auto it = units.rbegin(); it != units.rend(); ++it)
                cand.overrides.insert(cand.overrides.begin(), {quant::unit_regex(*it), fb});
            if (try_step(comp, cand, fb, Attempt::Fallback, units)) return true;
            if (n == comp.units.size()) return false;
        }
    }

    // Evaluates one candidate, records the step, and adopts the candidate when it passes.
    bool try_step(const ComponentInfo& comp, const quant::QuantConfig& cand, const quant::Precision& p, Attempt attempt,
                  const std::vector<std::string>& units) {
        Step s;
        s.component = comp.name;
        s.precision = p;
        s.units = units;
        const std::string algo = s.algorithm_label();
        s.eval = evaluator_.candidate(cand, comp.name + ":" + s.format_label() + (algo.empty() ? "" : "/" + algo) +
                                                (units.empty() ? "" : fmt::format(" ({} units)", units.size())));
        s.accepted = passes(source_.validation, result_.baseline.metrics, s.eval.metrics, &s.retention);
        s.decision = decision_of(attempt, s.accepted);
        record(s);
        if (s.accepted) {
            current_ = cand;
            current_eval_ = s.eval;
        }
        return s.accepted;
    }

    // A step that leaves the component as in the source (the current model is unchanged).
    void record_unchanged(const ComponentInfo& comp, StepDecision decision, const std::string& note) {
        Step s;
        s.component = comp.name;
        s.precision = keep_precision();
        s.decision = decision;
        s.accepted = true;
        s.eval = current_eval_;
        s.retention = 1.0;
        s.note = note;
        record(s);
    }

    // Phase 3 (optional): lower the least sensitive units until the package fits, then validate that.
    void fit_to_size() {
        const SizeBudgetResult fit = options_.fit_size(current_);
        Step s;
        s.component = "all";
        s.decision = StepDecision::FitSize;
        s.moves = fit.moves;
        s.eval = evaluator_.candidate(fit.config, "size budget");
        s.accepted = true;  // the budget is the user's hard constraint; its retention is reported, not enforced
        passes(source_.validation, result_.baseline.metrics, s.eval.metrics, &s.retention);
        for (const auto& m : fit.moves) s.note += (s.note.empty() ? "" : "; ") + m;
        if (!fit.fits) s.note += (s.note.empty() ? "" : "; ") + std::string("no further unit could be lowered");
        record(s);
        current_ = fit.config;
        current_eval_ = s.eval;
    }

    void finish() {
        result_.final_config = current_;
        result_.final_eval = current_eval_;
        result_.passed_retention =
            passes(source_.validation, result_.baseline.metrics, current_eval_.metrics, &result_.final_retention);
    }

    void record(const Step& s) {
        if (options_.on_step) options_.on_step(s);
        result_.steps.push_back(s);
    }

    const quant::QuantConfig& source_;
    const std::vector<ComponentInfo>& components_;
    Evaluator& evaluator_;
    const ProgressiveOptions& options_;
    ProgressiveResult result_;
    quant::QuantConfig current_;  // the accepted configuration so far
    Evaluation current_eval_;     // its evaluation
};

}  // namespace

std::string decision_name(StepDecision d) {
    switch (d) {
        case StepDecision::Kept: return "kept";
        case StepDecision::Rejected: return "rejected";
        case StepDecision::Retried: return "retried";
        case StepDecision::FellBack: return "fell_back";
        case StepDecision::FitSize: return "fit_size";
    }
    return "?";
}

std::string Step::format_label() const {
    if (decision == StepDecision::FitSize) return fmt::format("{} unit moves", moves.size());
    return precision.keep ? "keep" : precision.format.name();
}

std::string Step::algorithm_label() const {
    if (decision == StepDecision::FitSize || precision.keep || !precision.format.is_int()) return "";
    return rounding::algorithm_name(precision.algorithm);
}

bool passes(const quant::ValidationConfig& v, const eval::Metrics& base, const eval::Metrics& cand, double* retention) {
    bool ok;
    if (v.metric == quant::ValidationMetric::Kld) {
        ok = cand.kld <= v.max_kld.value_or(0.05);
        *retention = ok ? 1.0 : 0.0;
    } else {
        *retention = base.accuracy > 0 ? cand.accuracy / base.accuracy : (cand.accuracy >= base.accuracy ? 1.0 : 0.0);
        ok = *retention + 1e-12 >= v.min_retention;
    }
    if (v.max_kld && cand.kld > *v.max_kld) ok = false;
    return ok;
}

ProgressiveResult run_progressive(const quant::QuantConfig& source, const std::vector<ComponentInfo>& components,
                                  Evaluator& evaluator, const ProgressiveOptions& options) {
    if (options.target_size_bytes && !options.fit_size) fail("progressive quantization: a size budget needs a fit");
    return Loop(source, components, evaluator, options).run();
}

}  // namespace vlmq::pipeline
