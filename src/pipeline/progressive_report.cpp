#include "pipeline/progressive_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/fs_util.h"

namespace vlmq::pipeline {

namespace {

ordered_json metrics_json(const eval::Metrics& m) {
    ordered_json j;
    j["accuracy"] = m.accuracy;
    if (m.vqa >= 0) j["vqa"] = m.vqa;
    if (m.exact >= 0) j["exact"] = m.exact;
    j["agreement"] = m.agreement;
    j["kld"] = m.kld;
    j["top1"] = m.top1;
    j["samples"] = m.samples;
    return j;
}

std::string pass_fail(bool b) { return b ? "PASS" : "FAIL"; }

}  // namespace

ordered_json ProgressiveReport::to_json() const {
    const ProgressiveResult& r = result;
    const ReportContext& ctx = context;
    ordered_json j;
    j["model"] = ctx.model;
    j["metric"] = quant::metric_name(r.metric);
    j["activations"] = ctx.activations;
    ordered_json base = metrics_json(r.baseline.metrics);
    base["metric"] = quant::metric_name(r.metric);
    base["size_bytes"] = ctx.source_bytes;
    j["baseline"] = base;
    ordered_json steps = ordered_json::array();
    for (const auto& s : r.steps) {
        ordered_json st;
        st["component"] = s.component;
        st["format"] = s.format_label();
        st["algorithm"] = s.algorithm_label();
        st["accuracy"] = s.eval.metrics.accuracy;
        st["kld"] = s.eval.metrics.kld;
        st["top1"] = s.eval.metrics.top1;
        st["agreement"] = s.eval.metrics.agreement;
        st["retention"] = s.retention;
        st["size_bytes"] = s.eval.size_bytes;
        st["decision"] = decision_name(s.decision);
        st["accepted"] = s.accepted;
        if (!s.units.empty()) st["units"] = s.units;
        if (s.eval.stopped_after) st["stopped_after"] = s.eval.stopped_after;  // samples validated
        if (!s.note.empty()) st["note"] = s.note;
        steps.push_back(st);
    }
    j["steps"] = steps;
    ordered_json fin = metrics_json(r.final_eval.metrics);
    fin["retention"] = r.final_retention;
    fin["size_bytes"] = r.final_eval.size_bytes;
    fin["package_bytes"] = package_bytes;
    fin["criteria"] = {{"size", size_passes()}, {"retention", r.passed_retention}};
    j["final"] = fin;
    j["criteria"] = {{"target_size_bytes", ctx.target_size_bytes}, {"min_retention", ctx.min_retention}};
    j["calibration"] = {{"data", ctx.calibration_data}, {"samples", ctx.calibration_samples}};
    j["validation"] = {{"data", ctx.validation_data}, {"samples", ctx.validation_samples}};
    j["final_config"] = r.final_config.to_json();
    return j;
}

std::string ProgressiveReport::markdown() const {
    const ProgressiveResult& r = result;
    std::string md;
    md += fmt::format("# vlmq progressive quantization report: {}\n\n", context.model);
    md += fmt::format("Validation metric: **{}** on {} samples, {}. Baseline (unquantized): accuracy {:.4f}, "
                      "{:.1f} MB of tensors.\n\n",
                      quant::metric_name(r.metric), r.baseline.metrics.samples,
                      context.activations == "int8" ? "int8 activations (W8A8)" : "weight-only numerics (fp32 activations)",
                      r.baseline.metrics.accuracy, double(context.source_bytes) / 1e6);
    md += "| # | component | format | algorithm | size (MB) | accuracy | retention | KLD | top-1 | decision |\n";
    md += "|---|---|---|---|---|---|---|---|---|---|\n";
    int i = 0;
    for (const auto& s : r.steps) {
        std::string decision = decision_name(s.decision) + (s.accepted ? " ✔" : " ✘");
        if (!s.units.empty()) decision += fmt::format(" ({} units)", s.units.size());
        if (s.eval.stopped_after)
            decision += fmt::format(", stopped early after {}/{} samples", s.eval.stopped_after,
                                    r.baseline.metrics.samples);
        md += fmt::format("| {} | {} | {} | {} | {:.1f} | {:.4f} | {:.3f} | {:.4f} | {:.3f} | {} |\n", ++i, s.component,
                          s.format_label(), s.algorithm_label(), double(s.eval.size_bytes) / 1e6,
                          s.eval.metrics.accuracy, s.retention, s.eval.metrics.kld, s.eval.metrics.top1, decision);
    }
    md += fmt::format("\n## Result\n\n- Final package: {:.1f} MB on disk ({:.1f} MB of tensors), accuracy {:.4f}, "
                      "retention {:.3f}, KLD {:.4f}\n",
                      double(package_bytes) / 1e6, double(r.final_eval.size_bytes) / 1e6,
                      r.final_eval.metrics.accuracy, r.final_retention, r.final_eval.metrics.kld);
    md += fmt::format("- ADR criterion size < {:.0f} MB: **{}**\n", double(context.target_size_bytes) / 1e6,
                      pass_fail(size_passes()));
    md += fmt::format("- ADR criterion retention ≥ {:.0f}%: **{}**\n\n", context.min_retention * 100,
                      pass_fail(r.passed_retention));
    md += "Final configuration (re-usable with `vlmq quantize --config`):\n\n```json\n" +
          r.final_config.to_json().dump(2) + "\n```\n";
    return md;
}

std::string ProgressiveReport::svg() const {
    const ProgressiveResult& r = result;
    const double W = 760, H = 440, L = 70, R = 20, T = 40, B = 60;
    std::vector<std::tuple<double, double, std::string, bool>> pts;
    double max_size = double(context.source_bytes) / 1e6;
    double min_acc = r.baseline.metrics.accuracy, max_acc = min_acc;
    for (const auto& s : r.steps) {
        const double x = double(s.eval.size_bytes) / 1e6, y = s.eval.metrics.accuracy;
        pts.emplace_back(x, y, s.component + " " + s.format_label(), s.accepted);
        max_size = std::max(max_size, x);
        min_acc = std::min(min_acc, y);
        max_acc = std::max(max_acc, y);
    }
    const double target = double(context.target_size_bytes) / 1e6;
    // The size target is drawn when it falls near the data; far above it would squash every point to the axis.
    const bool target_on_scale = target <= max_size * 2.0;
    max_size = (target_on_scale ? std::max(max_size, target) : max_size) * 1.08;
    const double budget = r.baseline.metrics.accuracy * context.min_retention;
    min_acc = std::min(min_acc, budget);
    const double pad = std::max(0.02, (max_acc - min_acc) * 0.1);
    const double y0 = std::max(0.0, min_acc - pad), y1 = max_acc + pad;
    auto X = [&](double v) { return L + (W - L - R) * v / max_size; };
    auto Y = [&](double v) { return T + (H - T - B) * (1.0 - (v - y0) / (y1 - y0)); };
    std::string svg = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
        "font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        "<text x=\"{}\" y=\"22\" font-size=\"14\">{}: size vs {} at each progressive step</text>\n",
        W, H, L, context.model, quant::metric_name(r.metric));
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n", L, H - B, W - R, H - B);
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n", L, T, L, H - B);
    for (int t = 0; t <= 5; ++t) {
        const double sv = max_size * t / 5, av = y0 + (y1 - y0) * t / 5;
        svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:.0f}</text>\n", X(sv), H - B + 16, sv);
        svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.3f}</text>\n", L - 6, Y(av) + 4, av);
    }
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">package tensor size (MB)</text>\n",
                       (L + W - R) / 2, H - 18);
    svg += fmt::format("<text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" text-anchor=\"middle\">{}</text>\n",
                       (T + H - B) / 2, (T + H - B) / 2, quant::metric_name(r.metric));
    const double base = r.baseline.metrics.accuracy;
    svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#2a7\" stroke-dasharray=\"6 3\"/>"
                       "<text x=\"{}\" y=\"{:.1f}\" fill=\"#2a7\">baseline {:.3f}</text>\n",
                       L, Y(base), W - R, Y(base), L + 6, Y(base) - 4, base);
    svg += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#c80\" stroke-dasharray=\"2 3\"/>"
                       "<text x=\"{}\" y=\"{:.1f}\" fill=\"#c80\">retention budget {:.3f}</text>\n",
                       L, Y(budget), W - R, Y(budget), L + 6, Y(budget) + 12, budget);
    if (target_on_scale)
        svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#888\" "
                           "stroke-dasharray=\"4 4\"/><text x=\"{:.1f}\" y=\"{}\" fill=\"#888\" "
                           "text-anchor=\"end\">size target {:.0f} MB</text>\n",
                           X(target), T, X(target), H - B, X(target) - 4, T + 12, target);
    else
        svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#888\" text-anchor=\"end\">size target {:.0f} MB "
                           "(off scale: every candidate is below it)</text>\n",
                           W - R, T + 12, target);
    const double base_size = double(context.source_bytes) / 1e6;
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"9\" height=\"9\" fill=\"#2a7\"><title>baseline "
                       "(unquantized)</title></rect>\n",
                       X(base_size) - 4.5, Y(base) - 4.5);
    std::string path;
    int n = 0;
    for (const auto& [x, y, label, ok] : pts) {
        ++n;
        svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\"><title>{}: {}</title></circle>"
                           "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
                           X(x), Y(y), ok ? "#27c" : "#d33", n, label, X(x) + 7, Y(y) - 6, n);
    }
    svg += fmt::format("<text x=\"{}\" y=\"{}\"><tspan fill=\"#27c\">●</tspan> accepted  <tspan fill=\"#d33\">●"
                       "</tspan> rejected (numbers = step order in report.md)</text>\n",
                       L, H - 4);
    svg += "</svg>\n";
    return svg;
}

OutputKind report_output_kind() {
    return file_kind("a progressive report", [](const std::string& text) {
        const ordered_json j = parse_ordered_json(text, "report.json");
        if (!j.is_object()) return false;
        for (const char* key : {"baseline", "steps", "final", "final_config"})
            if (!j.contains(key)) return false;
        return json_dump(j) == text;
    });
}

void write_progressive_report(const std::filesystem::path& dir, const ProgressiveReport& report) {
    write_file_atomic(dir / "report.json", json_dump(report.to_json()));
    write_file_atomic(dir / "report.md", report.markdown());
    write_file_atomic(dir / "report.svg", report.svg());
}

}  // namespace vlmq::pipeline
