#include "pipeline/quantize.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "arch/arch_table.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "core/phase_timer.h"
#include "core/progress.h"
#include "core/shape.h"
#include "core/staging.h"
#include "eval/prepared.h"
#include "io/checkpoint.h"
#include "model/fastvlm.h"
#include "model/fastvlm_tensors.h"
#include "package/writer.h"
#include "pipeline/calibrate.h"
#include "pipeline/package_evaluator.h"
#include "pipeline/size_budget.h"

namespace vlmq::pipeline {

namespace fs = std::filesystem;

namespace {

struct Calibration {
    std::unique_ptr<calib::CalibrationStats> stats;
    int64_t samples = 0;
    std::string data;  // where the statistics came from (dataset or statistics file)
};

bool quantizes_to_int(const quant::QuantConfig& c) {
    for (const auto& [name, p] : c.components)
        if (!p.keep && p.format.is_int()) return true;
    return false;
}

// Phase 1. A plain run calibrates whenever it is given data (the statistics also steer --target-size); the
// progressive loop only when a component is quantized to an int format (its data-aware retries need them).
Calibration calibrate(const QuantizeRequest& req, const model::FastVLM* model, const Compute& c) {
    Calibration out;
    if (!req.stats_file.empty()) {
        out.stats = calib::CalibrationStats::load(req.stats_file);
        out.samples = out.stats->samples;
        out.data = req.stats_file.string();
        return out;
    }
    if (!req.calib) return out;
    out.data = req.calib->path.string();
    if (req.val && !quantizes_to_int(req.config)) return out;
    const eval::VqaDataset all = eval::load_dataset(*req.calib);
    const eval::VqaDataset chosen =
        eval::select_samples(all, size_t(req.calib_samples.value_or(req.config.calibration_samples)), req.seed);
    {
        PhaseTimer t(req.timings ? &req.timings->calibrate_s : nullptr);
        out.stats = collect_stats(*model, chosen, c, {}, req.progress);
    }
    out.samples = int64_t(chosen.samples.size());
    if (req.timings) req.timings->calibrate_samples = out.samples;
    return out;
}

// Components with their source sizes, and their units ranked by a sensitivity proxy (mean input energy x number
// of weights: units whose inputs carry more energy are moved first).
std::vector<ComponentInfo> component_infos(const io::Checkpoint& ckpt, const quant::QuantConfig& config,
                                           const calib::CalibrationStats* stats) {
    const auto arch = arch::arch_table_for_config(ckpt.config(), (ckpt.dir() / "config.json").string());
    const quant::Plan plan = quant::make_plan(quant::checkpoint_tensors(ckpt), arch, config);
    std::vector<ComponentInfo> out;
    for (const auto& name : plan.components) out.push_back({name, 0, {}});
    std::map<std::string, std::map<std::string, double>> unit_score;
    for (const auto& e : plan.entries) {
        auto it = std::find_if(out.begin(), out.end(), [&](const auto& ci) { return ci.name == e.component; });
        it->source_bytes += e.source_bytes();
        if (e.keep || e.unit.empty()) continue;
        double score = double(numel(e.tensor.shape));
        if (stats)
            if (const auto* s = stats->find(e.tensor.name); s && s->rows > 0) {
                double energy = 0;
                for (double v : s->sum_sq) energy += v;
                score *= energy / double(s->rows) / double(s->k);
            }
        unit_score[e.component][e.unit] += score;
    }
    for (auto& ci : out) {
        std::vector<std::pair<double, std::string>> v;
        for (const auto& [u, s] : unit_score[ci.name]) v.emplace_back(-s, u);
        std::sort(v.begin(), v.end());
        for (const auto& [s, u] : v) ci.units.push_back(u);
    }
    return out;
}

void print_step(const Step& s) {
    if (Progress::style() == ProgressStyle::Json) {
        ordered_json j{{"step", s.component},        {"format", s.format_label()},
                       {"algorithm", s.algorithm_label()}, {"accuracy", s.eval.metrics.accuracy},
                       {"retention", s.retention},   {"kld", s.eval.metrics.kld},
                       {"decision", decision_name(s.decision)}, {"accepted", s.accepted}};
        if (s.eval.stopped_after) j["stopped_after"] = s.eval.stopped_after;
        if (!s.note.empty()) j["note"] = s.note;
        fmt::print(stderr, "{}\n", j.dump());
        return;
    }
    // The note says when validation stopped early (the loop writes it with the step).
    fmt::print(stderr, "step {:<15} {:<14} {:<9} accuracy {:.4f} retention {:.3f} kld {:.4f}  {}{}{}{}\n", s.component,
               s.format_label(), s.algorithm_label(), s.eval.metrics.accuracy, s.retention, s.eval.metrics.kld,
               decision_name(s.decision), s.accepted ? " (accepted)" : "", s.note.empty() ? "" : ": ", s.note);
}

// The source checkpoint's name in reports; HF-style ".../<name>/model" layouts name the parent too.
std::string model_name(const fs::path& model) {
    const fs::path dir = fs::absolute(model).lexically_normal();
    const fs::path named = dir.filename().empty() ? dir.parent_path() : dir;
    const std::string name = named.filename().string();
    return name == "model" ? named.parent_path().filename().string() + "/model" : name;
}

quant::QuantizeOptions package_options(const QuantizeRequest& req, const calib::CalibrationStats* stats,
                                       bool progress) {
    quant::QuantizeOptions qo;
    qo.progress = progress;
    qo.stats = stats;
    qo.max_shard_bytes = req.max_shard_bytes;
    qo.force = req.force;
    return qo;
}

// Without validation data: the config (fitted to the size budget when asked) straight into the package.
QuantizeOutcome quantize_plain(const QuantizeRequest& req, const io::Checkpoint& ckpt, const Calibration& cal,
                               const Compute& c) {
    quant::QuantConfig config = req.config;
    if (req.fit_to_target) {
        const SizeBudgetResult fit = fit_size_budget(ckpt, config, req.target_size_bytes, cal.stats.get(), c);
        if (req.progress)
            for (const auto& m : fit.moves) fmt::print(stderr, "size budget: {}\n", m);
        if (!fit.fits)
            fmt::print(stderr, "size budget: {:.1f} MB does not fit {:.1f} MB even with every unit lowered\n",
                       double(fit.bytes_after) / 1e6, double(req.target_size_bytes) / 1e6);
        config = fit.config;
    }
    quant::QuantizeOptions qo = package_options(req, cal.stats.get(), req.progress);
    if (cal.stats) qo.extra_manifest["calibration"] = cal.stats->provenance;
    QuantizeOutcome out;
    out.package = quant::quantize_checkpoint(ckpt, config, req.out, c, qo);
    out.package_bytes = out.package.package_bytes;
    return out;
}

// With validation data: baseline, the loop (size fit last), then the final package with its report.
QuantizeOutcome quantize_progressive(const QuantizeRequest& req, const io::Checkpoint& ckpt,
                                     const model::FastVLM& base_model, const Calibration& cal, const Compute& qc) {
    // Candidates are measured with the deployed weight-only numerics unless int8 activations are asked for.
    Compute c = qc;
    c.int8_activations = qc.int8_activations || req.config.validation.int8_activations;
    const eval::VqaDataset val_all = eval::load_dataset(*req.val);
    const eval::VqaDataset val =
        eval::select_samples(val_all, size_t(req.val_samples.value_or(req.config.validation.samples)), req.seed);
    PhaseTimer preparing(req.timings ? &req.timings->prepare_s : nullptr);
    const std::vector<eval::PreparedSample> prepared = eval::prepare_samples(base_model, val, c, req.progress);
    preparing.stop();

    // The outputs are checked (and staged) before the loop runs; candidates are real packages in a scratch
    // directory next to the output.
    StagedOutput final_dir(req.out, package::package_output_kind(), req.force);
    std::optional<StagedOutput> report_copy;
    if (!req.report_copy.empty()) report_copy.emplace(req.report_copy, report_output_kind(), req.force);
    const ScratchDir scratch(final_dir.final_path(), "candidates");
    EvaluatorOptions eo;
    eo.metric = req.config.validation.metric;
    eo.scratch = scratch.path();
    eo.max_shard_bytes = req.max_shard_bytes;
    eo.progress = req.progress;
    eo.early_stop = req.early_stop;
    eo.feature_cache_bytes = req.feature_cache_bytes;
    eo.timings = req.timings;
    PackageEvaluator evaluator(ckpt, base_model, prepared, cal.stats.get(), eo, c);

    ProgressiveOptions po;
    if (req.fit_to_target) {
        po.target_size_bytes = req.target_size_bytes;
        po.fit_size = [&](const quant::QuantConfig& cfg) {
            return fit_size_budget(ckpt, cfg, req.target_size_bytes, cal.stats.get(), c);
        };
    }
    if (req.progress) po.on_step = print_step;

    ProgressiveReport report;
    report.context.model = model_name(req.model);
    report.context.source_bytes = int64_t(ckpt.total_tensor_bytes());
    report.context.target_size_bytes = req.target_size_bytes;
    report.context.min_retention = req.config.validation.min_retention;
    report.context.calibration_samples = cal.samples;
    report.context.validation_samples = int64_t(prepared.size());
    report.context.calibration_data = cal.data;
    report.context.validation_data = req.val->path.string();
    report.context.activations = activations_name(c);
    report.result = run_progressive(req.config, component_infos(ckpt, req.config, cal.stats.get()), evaluator, po);

    PhaseTimer finishing(req.timings ? &req.timings->final_s : nullptr);
    // The manifest embeds the report as it stands before the package exists (package_bytes 0).
    quant::QuantizeOptions qo = package_options(req, cal.stats.get(), false);
    qo.extra_manifest["validation"] = report.to_json();
    const fs::path staging = scratch.path() / "final.vlmq";
    QuantizeOutcome out;
    out.package = quant::quantize_checkpoint(ckpt, report.result.final_config, staging, c, qo);
    // The report files count towards the package size they state.
    report.package_bytes = out.package.package_bytes;
    write_progressive_report(staging, report);
    report.package_bytes = package::directory_bytes(staging);
    write_progressive_report(staging, report);
    fs::remove(final_dir.path());
    fs::rename(staging, final_dir.path());
    final_dir.commit();
    if (report_copy) {
        write_file_atomic(report_copy->path(), json_dump(report.to_json()));
        report_copy->commit();
    }
    out.package_bytes = report.package_bytes;
    out.progressive = std::move(report);
    return out;
}

}  // namespace

QuantizeOutcome quantize(const QuantizeRequest& req, const Compute& c) {
    PhaseTimer total(req.timings ? &req.timings->total_s : nullptr);
    if (req.calib && !req.stats_file.empty()) fail("give calibration data or a statistics file, not both");
    // A checkpoint `run` would reject is rejected before any work, with the same message.
    model::check_model(*package::open_weights(req.model));
    const io::Checkpoint ckpt(req.model);
    // The unquantized model runs the calibration pass and the validation baseline.
    std::unique_ptr<model::FastVLM> model;
    if (req.val || (req.calib && req.stats_file.empty())) model = std::make_unique<model::FastVLM>(req.model);
    const Calibration cal = calibrate(req, model.get(), c);
    return req.val ? quantize_progressive(req, ckpt, *model, cal, c) : quantize_plain(req, ckpt, cal, c);
}

}  // namespace vlmq::pipeline
