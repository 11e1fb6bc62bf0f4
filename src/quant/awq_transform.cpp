#include "quant/awq_transform.h"

#include <regex>

#include "calib/calib_stats.h"
#include "core/error.h"
#include "qformat/dequant.h"
#include "quant/tensor_quantizer.h"
#include "rounding/awq.h"

namespace vlmq::quant {

namespace {

struct Group {
    std::string key;
    std::vector<const PlanEntry*> consumers;
    std::vector<std::pair<std::string, arch::ScaleProducer::Kind>> producers;
    bool rows_producer = false;
};

}  // namespace

AwqTransform apply_awq(Plan& plan, const io::Checkpoint& ckpt, const arch::ArchTable& arch,
                       const calib::CalibrationStats& stats, const Compute& c) {
    AwqTransform out;
    std::map<std::string, Group> groups;
    std::vector<std::regex> rules;
    for (const auto& r : arch.scale_groups) rules.emplace_back(r.consumer_pattern);
    for (const auto& e : plan.entries) {
        if (e.keep || !e.precision.format.is_int() || e.precision.algorithm != rounding::Algorithm::Awq) continue;
        bool matched = false;
        for (size_t i = 0; i < rules.size() && !matched; ++i) {
            if (!std::regex_search(e.tensor.name, rules[i])) continue;
            matched = true;
            const auto& rule = arch.scale_groups[i];
            const std::string key = std::regex_replace(e.tensor.name, rules[i], rule.group, std::regex_constants::format_first_only);
            Group& g = groups[key];
            g.key = key;
            g.consumers.push_back(&e);
            if (g.producers.empty())
                for (const auto& p : rule.producers) {
                    std::smatch m;
                    std::regex_search(e.tensor.name, m, rules[i]);
                    g.producers.emplace_back(m.format(p.name), p.kind);
                    g.rows_producer |= p.kind == arch::ScaleProducer::Kind::Rows;
                }
        }
        if (!matched) out.unscaled.push_back(e.tensor.name);
    }
    // Groups whose producer is a linear go first, so that linear's own group later sees its scaled rows.
    std::vector<Group*> order;
    for (auto& [k, g] : groups) order.push_back(&g);
    std::stable_partition(order.begin(), order.end(), [](const Group* g) { return g->rows_producer; });

    auto load = [&](const std::string& name) -> std::vector<float>& {
        auto it = out.replaced.find(name);
        if (it != out.replaced.end()) return it->second;
        const io::TensorRef& ref = ckpt.at(name);
        std::vector<float> v(static_cast<size_t>(ref.info->numel()));
        qformat::convert_to_f32(c, ref.bytes().data(), ref.info->dtype, ref.info->numel(), v.data());
        return out.replaced.emplace(name, std::move(v)).first->second;
    };

    for (Group* g : order) {
        const calib::InputStats* in = stats.find(g->consumers.front()->tensor.name);
        const int64_t K = g->consumers.front()->cols;
        bool ok = in && in->k == K && in->rows > 0;
        for (const auto& [p, kind] : g->producers) ok = ok && ckpt.find(p) != nullptr;
        for (const auto* e : g->consumers) ok = ok && e->cols == K;
        if (!ok) {
            for (const auto* e : g->consumers) out.unscaled.push_back(e->tensor.name);
            continue;
        }
        // Stack all consumers' rows: they share the input and therefore the scales.
        std::vector<float> stacked;
        int64_t rows = 0;
        for (const auto* e : g->consumers) {
            const auto& w = load(e->tensor.name);
            stacked.insert(stacked.end(), w.begin(), w.end());
            rows += e->rows;
        }
        const auto imp = in->importance(), mean_abs = in->mean_abs();
        const std::vector<float> h = in->has_hessian() ? in->hessian() : std::vector<float>();
        const auto r = rounding::awq_search(c, stacked.data(), rows, K, g->consumers.front()->precision.format,
                                            mean_abs.data(), imp.data(), h.empty() ? nullptr : h.data());
        out.alpha[g->key] = r.alpha;
        if (r.alpha == 0.0) continue;  // no scaling beats plain rounding: leave the tensors untouched
        for (const auto* e : g->consumers) {
            out.column_scales[e->tensor.name] = r.scales;
            auto& w = load(e->tensor.name);
            for (int64_t row = 0; row < e->rows; ++row)
                for (int64_t j = 0; j < K; ++j) w[size_t(row * K + j)] *= r.scales[size_t(j)];
        }
        for (const auto& [p, kind] : g->producers) {
            auto& w = load(p);
            if (kind == arch::ScaleProducer::Kind::Vector) {
                if (int64_t(w.size()) != K) fail("AWQ: producer '{}' has {} elements, expected {}", p, w.size(), K);
                for (int64_t j = 0; j < K; ++j) w[size_t(j)] /= r.scales[size_t(j)];
            } else {
                const io::TensorInfo& t = *ckpt.at(p).info;
                const int64_t prow = t.shape[0], pcols = t.numel() / prow;
                if (prow < K) fail("AWQ: producer '{}' has {} rows, fewer than {}", p, prow, K);
                for (int64_t j = 0; j < K; ++j)
                    for (int64_t col = 0; col < pcols; ++col) w[size_t((prow - K + j) * pcols + col)] /= r.scales[size_t(j)];
            }
        }
    }
    // Scaled tensors that were to be kept verbatim are stored exactly, in f32.
    for (auto& e : plan.entries)
        if (out.replaced.count(e.tensor.name) && e.keep) {
            e.keep = false;
            e.precision = Precision{};
            e.precision.format = qformat::Format::f32();
            e.awq_producer = true;
        }
    return out;
}

}  // namespace vlmq::quant
