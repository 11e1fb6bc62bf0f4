#include "quant/plan.h"


#include <fmt/format.h>

#include "core/error.h"
#include "core/pattern.h"
#include "core/shape.h"

namespace vlmq::quant {

std::string PlanEntry::why() const {
    std::string text;
    switch (reason) {
        case PlanReason::NeverQuantized: text = "never quantized (1-D, norm, bias, BN statistic or layer scale)"; break;
        case PlanReason::Override: text = "override '" + override_pattern + "'"; break;
        case PlanReason::Component: text = "component " + component; break;
        case PlanReason::NotInConfig: text = "component " + component + " not in config"; break;
    }
    return awq_producer ? text + "; divided by AWQ scales" : text;
}

int64_t PlanEntry::source_bytes() const { return numel(tensor.shape) * int64_t(dtype_size(tensor.dtype)); }

int64_t PlanEntry::stored_bytes() const {
    if (keep) return source_bytes();
    return qformat::stored_bytes(precision.format, rows, cols);
}

Plan make_plan(const std::vector<TensorMeta>& tensors, const arch::ArchTable& arch, const QuantConfig& config) {
    const arch::ArchMatcher matcher(arch);
    config.check_components(arch, "config");
    std::vector<std::pair<Pattern, std::string>> assign;
    for (const auto& [re, comp] : config.assign) assign.emplace_back(Pattern(re, "config: assign"), comp);
    std::vector<std::pair<Pattern, const std::pair<std::string, Precision>*>> overrides;
    for (const auto& o : config.overrides) overrides.emplace_back(Pattern(o.first, "config: overrides"), &o);
    std::vector<Pattern> rtn_only;
    for (const auto& r : arch.rtn_only) rtn_only.emplace_back(r.pattern, "architecture table '" + arch.name + "'");

    Plan plan;
    plan.components = arch.components;
    for (const auto& t : tensors) {
        PlanEntry e;
        e.tensor = t;
        std::tie(e.rows, e.cols) = matrix_dims(t.shape);
        auto comp = matcher.component_of(t.name);
        for (const auto& [re, c] : assign)
            if (re.search(t.name)) {
                comp = c;
                break;
            }
        if (!comp) fail("tensor '{}' is not claimed by any rule of the '{}' architecture table", t.name, arch.name);
        e.component = *comp;
        e.unit = matcher.unit_of(t.name);

        if (matcher.role_of(t.name, t.dtype, t.shape) == arch::TensorRole::Keep) {
            e.keep = true;
            e.reason = PlanReason::NeverQuantized;
            plan.entries.push_back(std::move(e));
            continue;
        }
        std::optional<Precision> p;
        for (const auto& [re, o] : overrides)
            if (re.search(t.name)) {
                p = o->second;
                e.reason = PlanReason::Override;
                e.override_pattern = o->first;
                break;
            }
        if (!p) {
            auto it = config.components.find(e.component);
            if (it != config.components.end()) {
                p = it->second;
                e.reason = PlanReason::Component;
            } else {
                p = Precision{};
                p->keep = true;
                e.reason = PlanReason::NotInConfig;
            }
        }
        e.keep = p->keep;
        e.precision = *p;
        if (!e.keep) e.precision.format = qformat::fit_group_size(p->format, e.cols, &e.note);
        if (!e.keep && e.precision.format.is_int() && e.precision.algorithm != rounding::Algorithm::Rtn)
            for (size_t i = 0; i < rtn_only.size(); ++i)
                if (rtn_only[i].search(t.name)) {
                    const std::string text = fmt::format("{} -> rtn: {}", rounding::algorithm_name(e.precision.algorithm),
                                                         arch.rtn_only[i].why);
                    e.note = e.note.empty() ? text : e.note + "; " + text;
                    e.precision.algorithm = rounding::Algorithm::Rtn;
                    break;
                }
        plan.entries.push_back(std::move(e));
    }
    return plan;
}

void note_statistics_fallbacks(Plan& plan, const calib::CalibrationStats& stats) {
    using rounding::Algorithm;
    for (auto& e : plan.entries) {
        if (e.keep || !e.precision.format.is_int() || e.precision.algorithm == Algorithm::Rtn) continue;
        if (e.precision.algorithm == Algorithm::Awq && plan.awq.scalings_of(e.tensor.name)) continue;
        const calib::InputStats* in = stats.find(e.tensor.name);
        const bool any = in && in->k == e.cols && in->rows > 0;
        const bool needs_hessian = e.precision.algorithm == Algorithm::Gptq || e.precision.algorithm == Algorithm::Refine;
        if (any && (!needs_hessian || in->has_hessian())) continue;
        const auto& sh = e.tensor.shape;
        const std::string kind = sh.size() == 4 && sh[2] * sh[3] > 1 ? fmt::format("{}x{} conv kernel", sh[2], sh[3])
                                                                     : std::string("not observed in calibration");
        const std::string text = any ? fmt::format("{} -> weighted: no X^T X (input {} wide)", 
                                                   rounding::algorithm_name(e.precision.algorithm), e.cols)
                                     : fmt::format("{} -> rtn: no input statistics ({})",
                                                   rounding::algorithm_name(e.precision.algorithm), kind);
        e.note = e.note.empty() ? text : e.note + "; " + text;
    }
}

}  // namespace vlmq::quant
