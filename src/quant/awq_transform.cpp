#include "quant/awq_transform.h"

#include <algorithm>

#include "calib/calib_stats.h"
#include "core/error.h"
#include "core/pattern.h"
#include "core/shape.h"
#include "rounding/awq.h"

namespace vlmq::quant {

namespace {

struct Group {
    std::string key;
    std::vector<const PlanEntry*> consumers;
    std::vector<AwqProducer> producers;
    bool rows_producer = false;
};

AwqProducer::Kind producer_kind(arch::ScaleProducer::Kind k) {
    return k == arch::ScaleProducer::Kind::Rows ? AwqProducer::Kind::Rows : AwqProducer::Kind::Vector;
}

// The awq-planned consumers grouped by their shared input; those no rule matches go to `unscaled`.
std::map<std::string, Group> collect_groups(const Plan& plan, const arch::ArchTable& arch,
                                            std::vector<std::string>& unscaled) {
    std::map<std::string, Group> groups;
    std::vector<Pattern> rules;
    for (const auto& r : arch.scale_groups) rules.emplace_back(r.consumer_pattern, "architecture table '" + arch.name + "'");
    for (const auto& e : plan.entries) {
        if (e.keep || !e.precision.format.is_int() || e.precision.algorithm != rounding::Algorithm::Awq) continue;
        bool matched = false;
        for (size_t i = 0; i < rules.size() && !matched; ++i) {
            if (!rules[i].search(e.tensor.name)) continue;
            matched = true;
            const auto& rule = arch.scale_groups[i];
            const std::string key = rules[i].replace_first(e.tensor.name, rule.group);
            Group& g = groups[key];
            g.key = key;
            g.consumers.push_back(&e);
            if (g.producers.empty())
                for (const auto& p : rule.producers) {
                    g.producers.push_back({rules[i].format_match(e.tensor.name, p.name), producer_kind(p.kind)});
                    g.rows_producer |= p.kind == arch::ScaleProducer::Kind::Rows;
                }
        }
        if (!matched) unscaled.push_back(e.tensor.name);
    }
    return groups;
}

// A tensor as the scalings planned so far leave it, in fp32.
std::vector<float> current_values(const AwqPlan& awq, const io::Checkpoint& ckpt, const std::string& name,
                                  const Compute& c) {
    static const std::vector<AwqScaling> none;
    const io::TensorRef& ref = ckpt.at(name);
    const auto [rows, cols] = matrix_dims(ref.info->shape);
    const auto* scalings = awq.scalings_of(name);
    std::vector<float> w = awq_scaled_tensor(c, awq, scalings ? *scalings : none, ref.bytes(), ref.info->dtype, rows, cols);
    ref.release();
    return w;
}

void check_producer(const io::Checkpoint& ckpt, const AwqProducer& p, int64_t K) {
    const io::TensorInfo& t = *ckpt.at(p.name).info;
    if (p.kind == AwqProducer::Kind::Vector) {
        if (t.numel() != K) fail("AWQ: producer '{}' has {} elements, expected {}", p.name, t.numel(), K);
    } else if (t.shape[0] < K) {
        fail("AWQ: producer '{}' has {} rows, fewer than {}", p.name, t.shape[0], K);
    }
}

}  // namespace

void plan_awq(Plan& plan, const io::Checkpoint& ckpt, const arch::ArchTable& arch,
              const calib::CalibrationStats& stats, const Compute& c) {
    AwqPlan& out = plan.awq;
    std::map<std::string, Group> groups = collect_groups(plan, arch, out.unscaled);
    // Groups whose producer is a linear go first, so that linear's own group later sees its scaled rows.
    std::vector<Group*> order;
    for (auto& [k, g] : groups) order.push_back(&g);
    std::stable_partition(order.begin(), order.end(), [](const Group* g) { return g->rows_producer; });

    for (Group* g : order) {
        AwqGroup rec;
        rec.key = g->key;
        rec.producers = g->producers;
        for (const auto* e : g->consumers) rec.consumers.push_back(e->tensor.name);
        const calib::InputStats* in = stats.find(g->consumers.front()->tensor.name);
        const int64_t K = g->consumers.front()->cols;
        bool ok = in && in->k == K && in->rows > 0;
        for (const auto& p : g->producers) ok = ok && ckpt.find(p.name) != nullptr;
        for (const auto* e : g->consumers) ok = ok && e->cols == K;
        if (!ok) {
            for (const auto* e : g->consumers) out.unscaled.push_back(e->tensor.name);
            out.groups.push_back(std::move(rec));
            continue;
        }
        rec.searched = true;
        // Stack all consumers' rows: they share the input and therefore the scales.
        std::vector<float> stacked;
        int64_t rows = 0;
        for (const auto* e : g->consumers) {
            const std::vector<float> w = current_values(out, ckpt, e->tensor.name, c);
            stacked.insert(stacked.end(), w.begin(), w.end());
            rows += e->rows;
            out.tensors[e->tensor.name];  // read by the transform: quantized from fp32 even when alpha is 0
        }
        const auto imp = in->importance(), mean_abs = in->mean_abs();
        const std::vector<float> h = in->has_hessian() ? in->hessian() : std::vector<float>();
        auto r = rounding::awq_search(c, stacked.data(), rows, K, g->consumers.front()->precision.format,
                                      mean_abs.data(), imp.data(), h.empty() ? nullptr : h.data());
        rec.alpha = r.alpha;
        if (r.alpha != 0.0) rec.scales = std::move(r.scales);
        const size_t index = out.groups.size();
        out.groups.push_back(std::move(rec));
        if (out.groups.back().scales.empty()) continue;  // no scaling beats plain rounding: leave the tensors untouched
        for (const auto* e : g->consumers)
            out.tensors[e->tensor.name].push_back({AwqScaling::Kind::MultiplyColumns, index});
        for (const auto& p : g->producers) {
            check_producer(ckpt, p, K);
            out.tensors[p.name].push_back(
                {p.kind == AwqProducer::Kind::Vector ? AwqScaling::Kind::DivideElements : AwqScaling::Kind::DivideLastRows,
                 index});
        }
    }
    // Scaled tensors that were to be kept verbatim are stored exactly, in f32.
    for (auto& e : plan.entries)
        if (out.tensors.count(e.tensor.name) && e.keep) {
            e.keep = false;
            e.precision = Precision{};
            e.precision.format = qformat::Format::f32();
            e.awq_producer = true;
            for (auto& grp : out.groups)
                for (auto& p : grp.producers) p.retyped |= !grp.scales.empty() && p.name == e.tensor.name;
        }
}

}  // namespace vlmq::quant
