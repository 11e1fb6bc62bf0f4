#include "pipeline/progressive.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

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
        const Step first = try_whole(comp, target, Attempt::Planned);
        if (first.accepted) return;
        // The ADR's post-training optimization: data-aware rounding, then refinement, before more bits. The best
        // of the attempts is what the units not moved by a per-unit fallback keep.
        quant::Precision best_int = target;
        Evaluation best_eval = first.eval;
        if (target.format.is_int())
            for (rounding::Algorithm a : retry_algorithms(target.algorithm)) {
                quant::Precision retry = target;
                retry.algorithm = a;
                const Step second = try_whole(comp, retry, Attempt::Retry);
                if (second.accepted) return;
                if (!worse(second.eval, best_eval)) best_int = retry, best_eval = second.eval;
            }
        for (const quant::FallbackRung& rung : source_.fallback) {
            quant::Precision fb = rung.precision;
            if (precision_rank(fb) <= precision_rank(target)) continue;  // only rungs above the plan
            if (fb.format.is_int()) fb.algorithm = best_int.algorithm;
            const bool done = source_.per_layer_fallback && !comp.units.empty()
                                  ? try_units(comp, best_int, best_eval, fb)
                                  : try_whole(comp, fb, Attempt::Fallback).accepted;
            if (done) return;
        }
        record_unchanged(comp, StepDecision::FellBack, "no precision met the budget; the component stays as in the source");
        current_.components[comp.name] = keep_precision();
    }

    Step try_whole(const ComponentInfo& comp, const quant::Precision& p, Attempt attempt) {
        quant::QuantConfig cand = current_;
        cand.components[comp.name] = p;
        Step s = measure(comp, cand, p, {}, attempt == Attempt::Fallback);
        s.decision = decision_of(attempt, s.accepted);
        record(s);
        if (s.accepted) adopt(cand, s.eval);
        return s;
    }

    // Per-unit fallback to `fb`, the rest of the component at `base` (measured as `base_eval`):
    // 1. rank: raise each unit alone; its sensitivity is the KLD that remains (lower = more sensitive), ties
    //    broken by the metric, then by the proxy order of comp.units. The smallest single raise that passes wins.
    // 2. raise units most sensitive first until the budget holds; a move that makes the candidate worse than the
    //    one before it is undone and the next unit tried.
    // 3. prune: lower raised units back, least sensitive first, keeping each lowering that still passes, so the
    //    component ends at the smallest package found that meets the budget.
    bool try_units(const ComponentInfo& comp, const quant::Precision& base, const Evaluation& base_eval,
                   const quant::Precision& fb) {
        std::map<std::vector<std::string>, Step> measured;  // sorted unit set -> its measurement
        auto measure_units = [&](const std::vector<std::string>& units, bool may_stop_early = false) -> Step {
            std::vector<std::string> key = units;
            std::sort(key.begin(), key.end());
            auto it = measured.find(key);
            if (it != measured.end()) return it->second;
            return measured[key] = measure(comp, units_config(comp, base, fb, units), fb, units, may_stop_early);
        };
        // `accepted` = adopted: a ranking or an undone move never is, a raise or lowering that meets the budget is.
        auto record_move = [&](Step s, StepDecision d, const std::string& note) {
            s.decision = d;
            s.note = s.note.empty() ? note : note + "; " + s.note;  // keep the measurement's own (early stop)
            if (d == StepDecision::Ranked || d == StepDecision::Undone) s.accepted = false;
            record(s);
        };

        // 1. Rank.
        std::vector<std::pair<std::string, Step>> ranked;
        const Step* smallest_pass = nullptr;
        for (const auto& u : comp.units) {
            ranked.emplace_back(u, measure_units({u}));
            const Step& s = ranked.back().second;
            record_move(s, StepDecision::Ranked, fmt::format("sensitivity of {}: KLD {:.5f} with it alone at {}", u,
                                                             s.eval.metrics.kld, fb.format.name()));
        }
        for (const auto& [u, s] : ranked)
            if (s.accepted && (!smallest_pass || s.eval.size_bytes < smallest_pass->eval.size_bytes)) smallest_pass = &s;
        if (smallest_pass) {
            record_move(*smallest_pass, StepDecision::FellBack, "raise " + smallest_pass->units[0] + ": the smallest "
                                                                "single raise that meets the budget");
            adopt(units_config(comp, base, fb, smallest_pass->units), smallest_pass->eval);
            return true;
        }
        std::stable_sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
            if (a.second.eval.metrics.kld != b.second.eval.metrics.kld)
                return a.second.eval.metrics.kld < b.second.eval.metrics.kld;
            return worse(b.second.eval, a.second.eval);
        });

        // 2. Raise, most sensitive first.
        std::vector<std::string> raised;
        Evaluation state = base_eval;
        bool passed = false;
        for (const auto& [u, single] : ranked) {
            std::vector<std::string> cand = raised;
            cand.push_back(u);
            const Step s = measure_units(cand);
            if (!s.accepted && worse(s.eval, state)) {
                record_move(s, StepDecision::Undone, "raise " + u + ": worse than without it, undone");
                continue;
            }
            raised = cand;
            state = s.eval;
            record_move(s, StepDecision::FellBack, fmt::format("raise {} ({} of {} units at {})", u, raised.size(),
                                                               comp.units.size(), fb.format.name()));
            if (s.accepted) {
                passed = true;
                break;
            }
        }
        if (!passed) return false;

        // 3. Prune, least sensitive first (the last raised made the budget hold; the others may not be needed).
        for (size_t i = raised.size(); i-- > 0 && raised.size() > 1;) {
            std::vector<std::string> cand = raised;
            const std::string u = cand[i];
            cand.erase(cand.begin() + long(i));
            const Step s = measure_units(cand, /*may_stop_early=*/true);  // pruning only asks pass/fail
            if (s.accepted) {
                raised = cand;
                state = s.eval;
                record_move(s, StepDecision::Lowered, "lower " + u + " back to " + base.format.name() +
                                                          ": the budget still holds");
            } else {
                record_move(s, StepDecision::Undone, "lower " + u + " back: misses the budget, undone");
            }
        }
        adopt(units_config(comp, base, fb, raised), state);
        return true;
    }

    // The current configuration with `comp` at `base` and `units` raised to `fb`.
    quant::QuantConfig units_config(const ComponentInfo& comp, const quant::Precision& base,
                                    const quant::Precision& fb, const std::vector<std::string>& units) const {
        quant::QuantConfig cand = current_;
        cand.components[comp.name] = base;
        for (auto it = units.rbegin(); it != units.rend(); ++it)
            cand.overrides.insert(cand.overrides.begin(), {quant::unit_regex(*it), fb});
        return cand;
    }

    // Evaluates one candidate: a step, not yet recorded, whose `accepted` says whether it meets the budget.
    // `may_stop_early`: only the pass/fail of this candidate is used, never its figures (a candidate whose
    // metrics are compared with another's — the planned and retried rounding, rankings, raises — runs every
    // sample, so early stopping never changes a decision).
    Step measure(const ComponentInfo& comp, const quant::QuantConfig& cand, const quant::Precision& p,
                 const std::vector<std::string>& units, bool may_stop_early) {
        Step s;
        s.component = comp.name;
        s.precision = p;
        s.units = units;
        const std::string algo = s.algorithm_label();
        const std::string label = comp.name + ":" + s.format_label() + (algo.empty() ? "" : "/" + algo) +
                                  (units.empty() ? "" : fmt::format(" ({} units)", units.size()));
        const Acceptance accept = [&](const eval::Metrics& m) {
            double retention;
            return passes(source_.validation, result_.baseline.metrics, m, &retention);
        };
        s.eval = may_stop_early ? evaluator_.candidate(cand, label, accept) : evaluator_.candidate(cand, label);
        s.accepted = passes(source_.validation, result_.baseline.metrics, s.eval.metrics, &s.retention);
        if (s.eval.stopped_after)
            s.note = fmt::format("stopped early after {} of {} samples: failure certain (figures are the best case)",
                                 s.eval.stopped_after, result_.baseline.metrics.samples);
        return s;
    }

    void adopt(const quant::QuantConfig& cand, const Evaluation& e) {
        current_ = cand;
        current_eval_ = e;
    }

    // Whether `a` is worse than `b` under the validation metric: lower accuracy, or equal accuracy and higher
    // KLD (KLD alone for the kld metric).
    bool worse(const Evaluation& a, const Evaluation& b) const {
        if (source_.validation.metric != quant::ValidationMetric::Kld && a.metrics.accuracy != b.metrics.accuracy)
            return a.metrics.accuracy < b.metrics.accuracy;
        return a.metrics.kld > b.metrics.kld;
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
        case StepDecision::Ranked: return "ranked";
        case StepDecision::Undone: return "undone";
        case StepDecision::Lowered: return "lowered";
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
