// Human-readable and JSON forms of an MLX export report.
#include <fmt/format.h>

#include "export/mlx/export.h"

namespace vlmq::exporters::mlx {

namespace {

std::string_view target_name(Target t) { return t == Target::MlxVlm ? "mlx-vlm" : "apple-llm-only"; }

std::string diff_str(double d, int64_t n) { return n == 0 ? std::string("-") : fmt::format("{:.3g}", d); }

std::string mb(double bytes) { return fmt::format("{:.2f}", bytes / 1e6); }

std::string quant_str(const ordered_json& q) {
    if (q.is_null()) return "none (all float)";
    return fmt::format("affine bits {} group {}", q["bits"].get<int>(), q["group_size"].get<int>());
}

}  // namespace

std::string format_export_report(const ExportReport& r, bool list_tensors) {
    std::string s = fmt::format("{} -> {}  ({})\n", r.source, r.out,
                                r.target == Target::MlxVlm ? "mlx-vlm FastVLM" : "Apple split: projector + LLM");
    s += fmt::format("{:<16} {:>7} {:>11} {:>11} {:>6} {:>7} {:>11} {:>15} {:>13}\n", "component", "tensors", "passthrough",
                     "requantized", "float", "dropped", "MB", "max|d| requant", "max|d| float");
    ComponentExport total{.name = "total"};
    auto row = [&](const ComponentExport& c) {
        s += fmt::format("{:<16} {:>7} {:>11} {:>11} {:>6} {:>7} {:>11} {:>15} {:>13}\n", c.name, c.tensors, c.passthrough,
                         c.requantized, c.floats, c.dropped, mb(double(c.bytes)),
                         diff_str(c.max_abs_diff_requantized, c.requantized), diff_str(c.max_abs_diff_float, c.floats));
    };
    for (const auto& c : r.components) {
        row(c);
        total.tensors += c.tensors;
        total.passthrough += c.passthrough;
        total.requantized += c.requantized;
        total.floats += c.floats;
        total.dropped += c.dropped;
        total.bytes += c.bytes;
        total.max_abs_diff_requantized = std::max(total.max_abs_diff_requantized, c.max_abs_diff_requantized);
        total.max_abs_diff_float = std::max(total.max_abs_diff_float, c.max_abs_diff_float);
    }
    row(total);
    s += fmt::format("quantization: {}, {} per-layer entries\n", quant_str(r.quantization), r.per_layer_entries);
    s += fmt::format("directory: {} files, {} bytes ({} MB)\n", r.files.size(), r.dir_bytes, mb(double(r.dir_bytes)));
    if (list_tensors)
        for (const auto& t : r.tensors) {
            const ExportPlanEntry& e = *t.entry;
            s += fmt::format("  {:<72} {:<12} {:>11} {:>10}  {}  [{}]\n", e.source.name, action_name(e.action), t.bytes,
                             diff_str(t.max_abs_diff, 1), e.target ? e.target->name : std::string("-"), e.reason);
        }
    for (const auto& w : r.warnings) s += fmt::format("warning: {}\n", w);
    return s;
}

ordered_json export_report_json(const ExportReport& r, bool with_tensors) {
    ordered_json comps = ordered_json::object();
    for (const auto& c : r.components)
        comps[c.name] = {{"tensors", c.tensors},
                         {"passthrough", c.passthrough},
                         {"requantized", c.requantized},
                         {"float", c.floats},
                         {"dropped", c.dropped},
                         {"bytes", c.bytes},
                         {"max_abs_diff_passthrough", c.max_abs_diff_passthrough},
                         {"max_abs_diff_requantized", c.max_abs_diff_requantized},
                         {"max_abs_diff_float", c.max_abs_diff_float}};
    ordered_json j = {{"source", r.source},
                      {"out", r.out},
                      {"target", target_name(r.target)},
                      {"components", comps},
                      {"tensor_bytes", r.tensor_bytes},
                      {"dir_bytes", r.dir_bytes},
                      {"files", r.files},
                      {"quantization", r.quantization},
                      {"per_layer_entries", r.per_layer_entries},
                      {"warnings", r.warnings}};
    if (with_tensors) {
        ordered_json ts = ordered_json::array();
        for (const auto& t : r.tensors) {
            const ExportPlanEntry& e = *t.entry;
            ordered_json x = {{"source", e.source.name},
                              {"component", e.source.component},
                              {"source_format", e.source.keep ? std::string("keep") : e.source.format.name()},
                              {"action", action_name(e.action)},
                              {"mlx_name", e.target ? e.target->name : std::string()},
                              {"shape", e.shape},
                              {"file", t.file},
                              {"bytes", t.bytes},
                              {"max_abs_diff", t.max_abs_diff},
                              {"reason", e.reason}};
            if (e.action == Action::Passthrough || e.action == Action::Requantize) {
                x["bits"] = e.bits;
                x["group_size"] = e.group_size;
            }
            ts.push_back(std::move(x));
        }
        j["tensors"] = std::move(ts);
    }
    return j;
}

}  // namespace vlmq::exporters::mlx
