#include "eval/progressive.h"

#include <algorithm>

#include "core/error.h"

namespace vlmq::eval {

namespace {

quant::Precision keep_precision() {
    quant::Precision p;
    p.keep = true;
    return p;
}

int precision_rank(const quant::Precision& p) {
    if (p.keep) return 100;
    if (p.format.is_int()) return p.format.bits;
    return p.format.encoding == qformat::Encoding::F32 ? 32 : 16;
}

std::string algorithm_of(const quant::Precision& p) { return p.format.is_int() && !p.keep ? p.algorithm : ""; }

std::string precision_name(const quant::Precision& p) { return p.keep ? "keep" : p.format.name(); }

}  // namespace

std::string unit_regex(const std::string& unit) {
    std::string re = "^";
    for (char ch : unit) {
        if (std::string("\\^$.|?*+()[]{}").find(ch) != std::string::npos) re += '\\';
        re += ch;
    }
    return re + "\\.";
}

bool passes(const quant::ValidationConfig& v, const Metrics& base, const Metrics& cand, double* retention) {
    bool ok;
    if (v.metric == "kld") {
        *retention = base.kld > 0 ? base.kld / std::max(cand.kld, 1e-12) : 1.0;
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
                                  const EvaluateFn& evaluate, const ProgressiveOptions& options) {
    ProgressiveResult result;
    result.metric = source.validation.metric;

    // The working config starts with every component kept as in the source.
    quant::QuantConfig current = source;
    current.components.clear();
    for (const auto& c : components) current.components[c.name] = keep_precision();
    result.baseline = evaluate(current, "baseline");
    Evaluation current_eval = result.baseline;  // evaluation of `current`

    // Order: as configured, else largest component first.
    std::vector<const ComponentInfo*> order;
    if (!source.order.empty()) {
        for (const auto& name : source.order) {
            auto it = std::find_if(components.begin(), components.end(), [&](const auto& c) { return c.name == name; });
            if (it != components.end()) order.push_back(&*it);
        }
    }
    // The rest (or all, without a configured order): largest first.
    const size_t configured = order.size();
    for (const auto& c : components)
        if (std::find(order.begin(), order.end(), &c) == order.end()) order.push_back(&c);
    std::stable_sort(order.begin() + long(configured), order.end(),
                     [](const ComponentInfo* a, const ComponentInfo* b) { return a->source_bytes > b->source_bytes; });

    auto record = [&](Step s) {
        if (options.on_step) options.on_step(s);
        result.steps.push_back(std::move(s));
    };
    auto attempt = [&](const ComponentInfo& comp, const quant::QuantConfig& cfg, const quant::Precision& p,
                       const std::string& decision, const std::vector<std::string>& units) {
        Step s;
        s.component = comp.name;
        s.precision = precision_name(p);
        s.algorithm = algorithm_of(p);
        s.units = units;
        s.eval = evaluate(cfg, comp.name + ":" + precision_name(p) + (s.algorithm.empty() ? "" : "/" + s.algorithm) +
                                   (units.empty() ? "" : " (" + std::to_string(units.size()) + " units)"));
        s.accepted = passes(source.validation, result.baseline.metrics, s.eval.metrics, &s.retention);
        s.decision = s.accepted ? decision : (decision == "kept" ? "rejected" : decision);
        return s;
    };

    // A step that leaves the component as in the source (the current model is unchanged).
    auto record_keep = [&](const ComponentInfo& comp, const std::string& decision, const std::string& note) {
        Step s;
        s.component = comp.name;
        s.precision = "keep";
        s.decision = decision;
        s.accepted = true;
        s.eval = current_eval;
        s.retention = 1.0;
        s.note = note;
        record(s);
    };

    for (const ComponentInfo* comp : order) {
        auto planned = source.components.find(comp->name);
        if (planned == source.components.end() || planned->second.keep) {
            record_keep(*comp, "kept", "not quantized by the config");
            continue;
        }
        const quant::Precision target = planned->second;
        quant::QuantConfig cand = current;
        cand.components[comp->name] = target;
        Step first = attempt(*comp, cand, target, "kept", {});
        const bool ok = first.accepted;
        record(first);
        if (ok) {
            current = cand;
            current_eval = result.steps.back().eval;
            continue;
        }
        // Retry with data-aware rounding (the ADR's post-training optimization step).
        quant::Precision best_int = target;
        if (target.format.is_int()) {
            quant::Precision retry = target;
            retry.algorithm = target.algorithm == "gptq" ? "awq" : "gptq";
            cand.components[comp->name] = retry;
            Step s = attempt(*comp, cand, retry, "retried", {});
            const bool ok2 = s.accepted;
            record(s);
            if (ok2) {
                current = cand;
                current_eval = result.steps.back().eval;
                continue;
            }
            best_int = retry;
        }
        // Fall back to higher precision: the configured chain, entries above the target only.
        bool done = false;
        for (const std::string& fb_name : source.fallback_chain) {
            quant::Precision fb = quant::parse_precision(fb_name, "fallback");
            if (precision_rank(fb) <= precision_rank(target)) continue;
            if (fb.format.is_int()) fb.algorithm = best_int.algorithm;
            if (source.per_unit_fallback && !comp->units.empty()) {
                // Move the most sensitive units first, doubling the count until the budget holds.
                for (size_t n = 1;; n = std::min(comp->units.size(), n * 2)) {
                    std::vector<std::string> units(comp->units.begin(), comp->units.begin() + long(n));
                    quant::QuantConfig c2 = current;
                    c2.components[comp->name] = best_int;
                    for (auto it = units.rbegin(); it != units.rend(); ++it)
                        c2.overrides.insert(c2.overrides.begin(), {unit_regex(*it), fb});
                    Step s = attempt(*comp, c2, fb, "fell_back", units);
                    const bool ok3 = s.accepted;
                    record(s);
                    if (ok3) {
                        current = c2;
                        current_eval = result.steps.back().eval;
                        done = true;
                        break;
                    }
                    if (n == comp->units.size()) break;
                }
            } else {
                quant::QuantConfig c2 = current;
                c2.components[comp->name] = fb;
                Step s = attempt(*comp, c2, fb, "fell_back", {});
                const bool ok3 = s.accepted;
                record(s);
                if (ok3) {
                    current = c2;
                    current_eval = result.steps.back().eval;
                    done = true;
                }
            }
            if (done) break;
        }
        if (!done) {
            record_keep(*comp, "fell_back", "no precision met the budget; the component stays as in the source");
            current.components[comp->name] = keep_precision();
        }
    }
    result.final_config = current;
    result.final_eval = current_eval;
    double ret = 0;
    result.passed_retention = passes(source.validation, result.baseline.metrics, result.final_eval.metrics, &ret);
    result.final_retention = ret;
    return result;
}

}  // namespace vlmq::eval
