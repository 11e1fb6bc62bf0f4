#include "pipeline/progressive_quantize.h"

#include <fmt/format.h>
#include <unistd.h>

#include "pipeline/calibrate.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "eval/prepared.h"
#include "eval/progressive_report.h"
#include "eval/vlm_eval.h"
#include "io/checkpoint.h"
#include "arch/arch_table.h"
#include "model/fastvlm.h"
#include "pipeline/size_budget.h"
#include "quant/quantizer.h"

namespace vlmq::pipeline {

namespace fs = std::filesystem;

namespace {

// Components with their source sizes and units ranked by calibration sensitivity proxy
// (mean input energy x number of weights: units whose inputs carry more energy are moved first).
std::vector<eval::ComponentInfo> component_infos(const io::Checkpoint& ckpt, const quant::QuantConfig& config,
                                                 const calib::CalibrationStats* stats) {
    const auto arch = arch::arch_table_for_config(ckpt.config(), (ckpt.dir() / "config.json").string());
    const quant::Plan plan = quant::make_plan(quant::checkpoint_tensors(ckpt), arch, config);
    std::vector<eval::ComponentInfo> out;
    for (const auto& name : plan.components) out.push_back({name, 0, {}});
    std::map<std::string, std::map<std::string, double>> unit_score;
    for (const auto& e : plan.entries) {
        auto it = std::find_if(out.begin(), out.end(), [&](const auto& c) { return c.name == e.component; });
        it->source_bytes += e.source_bytes();
        if (e.keep || e.unit.empty()) continue;
        double score = double(quant::numel_of(e.tensor.shape));
        if (stats)
            if (const auto* s = stats->find(e.tensor.name); s && s->rows > 0) {
                double energy = 0;
                for (double v : s->sum_sq) energy += v;
                score *= energy / double(s->rows) / double(s->k);
            }
        unit_score[e.component][e.unit] += score;
    }
    for (auto& c : out) {
        std::vector<std::pair<double, std::string>> v;
        for (const auto& [u, s] : unit_score[c.name]) v.emplace_back(-s, u);
        std::sort(v.begin(), v.end());
        for (const auto& [s, u] : v) c.units.push_back(u);
    }
    return out;
}

bool needs_stats(const quant::QuantConfig& c) {
    for (const auto& [name, p] : c.components)
        if (!p.keep && p.format.is_int()) return true;  // retries use data-aware rounding
    return false;
}

}  // namespace

ProgressiveOutcome progressive_quantize(const ProgressiveRequest& req, const Compute& c) {
    const io::Checkpoint ckpt(req.model);
    const model::FastVLM base_model(req.model);

    // 1. Calibration statistics.
    std::unique_ptr<calib::CalibrationStats> stats;
    int64_t calib_n = 0;
    if (!req.stats_file.empty()) {
        stats = calib::CalibrationStats::load(req.stats_file);
        calib_n = stats->samples;
    } else if (req.have_calib && needs_stats(req.config)) {
        eval::DatasetSpec spec = req.calib;
        const eval::VqaDataset calib_all = eval::load_dataset(spec);
        const eval::VqaDataset calib =
            eval::select_samples(calib_all, size_t(req.calib_samples.value_or(req.config.calibration_samples)), req.seed);
        stats = pipeline::collect_stats(base_model, calib, c, {}, req.progress);
        calib_n = int64_t(calib.samples.size());
    }

    // 2. Validation samples and the unquantized reference.
    eval::DatasetSpec vspec = req.val;
    const eval::VqaDataset val_all = eval::load_dataset(vspec);
    const eval::VqaDataset val =
        eval::select_samples(val_all, size_t(req.val_samples.value_or(req.config.validation.samples)), req.seed);
    const std::vector<eval::PreparedSample> prepared = eval::prepare_samples(base_model, val, c, req.progress);
    eval::EvalOptions eo;
    eo.metric = req.config.validation.metric;
    eo.progress = req.progress;
    eo.record_logits = true;
    eo.label = "baseline";
    const eval::ModelRun reference = eval::run_model(base_model, prepared, nullptr, c, eo);

    // 3. The loop: each candidate is a real package in a scratch directory next to the output.
    const fs::path scratch = req.out.string() + ".candidates-" + std::to_string(getpid());
    fs::remove_all(scratch);
    fs::create_directories(scratch);
    struct Cleanup {
        fs::path p;
        ~Cleanup() {
            std::error_code ec;
            fs::remove_all(p, ec);
        }
    } cleanup{scratch};
    int step = 0;
    eval::EvaluateFn evaluate = [&](const quant::QuantConfig& cfg, const std::string& label) {
        eval::Evaluation e;
        if (label == "baseline") {
            e.metrics = reference.metrics;
            e.metrics.kld = 0.0;
            e.metrics.top1 = 1.0;
            e.metrics.agreement = 1.0;
            e.size_bytes = int64_t(ckpt.total_tensor_bytes());
            return e;
        }
        const fs::path pkg = scratch / fmt::format("step-{:02}.vlmq", ++step);
        quant::QuantizeOptions qo;
        qo.progress = false;
        qo.stats = stats.get();
        qo.max_shard_bytes = req.max_shard_bytes;
        const quant::QuantizeReport qr = quant::quantize_checkpoint(ckpt, cfg, pkg, c, qo);
        const model::FastVLM candidate(pkg);
        eval::EvalOptions o = eo;
        o.record_logits = false;
        o.label = "validate " + label;
        e.metrics = eval::run_model(candidate, prepared, &reference.record, c, o).metrics;
        e.size_bytes = qr.bytes_after;
        fs::remove_all(pkg);
        return e;
    };
    eval::ProgressiveOptions po;
    po.on_step = [&](const eval::Step& s) {
        if (!req.progress) return;
        fmt::print(stderr, "step {:<15} {:<14} {:<9} accuracy {:.4f} retention {:.3f} kld {:.4f}  {}{}\n", s.component,
                   s.precision, s.algorithm, s.eval.metrics.accuracy, s.retention, s.eval.metrics.kld, s.decision,
                   s.accepted ? " (accepted)" : "");
    };
    ProgressiveOutcome out;
    out.result = eval::run_progressive(req.config, component_infos(ckpt, req.config, stats.get()), evaluate, po);
    if (req.allocate_to_target && out.result.final_eval.size_bytes > req.target_size_bytes) {
        // The accepted plan is too big: lower the least sensitive units until it fits, then validate that.
        const SizeBudgetResult fit =
            fit_size_budget(ckpt, out.result.final_config, req.target_size_bytes, stats.get(), c);
        eval::Step s;
        s.component = "all";
        s.precision = fmt::format("{} unit moves", fit.moves.size());
        s.decision = "fit_size";
        s.eval = evaluate(fit.config, "size budget");
        s.accepted = true;
        eval::passes(req.config.validation, out.result.baseline.metrics, s.eval.metrics, &s.retention);
        for (const auto& m : fit.moves) s.note += (s.note.empty() ? "" : "; ") + m;
        if (!fit.fits) s.note += (s.note.empty() ? "" : "; ") + std::string("no further unit could be lowered");
        if (po.on_step) po.on_step(s);
        out.result.steps.push_back(s);
        out.result.final_config = fit.config;
        out.result.final_eval = s.eval;
        out.result.final_retention = s.retention;
        double ret = 0;
        out.result.passed_retention =
            eval::passes(req.config.validation, out.result.baseline.metrics, s.eval.metrics, &ret);
    }

    // 4. The final package, with the report inside.
    eval::ReportContext ctx;
    const fs::path model_dir = fs::absolute(req.model).lexically_normal();
    ctx.model = (model_dir.filename().empty() ? model_dir.parent_path() : model_dir).filename().string();
    if (ctx.model == "model")  // HF-style ".../<name>/model" layouts: name the parent too
        ctx.model = (model_dir.filename().empty() ? model_dir.parent_path() : model_dir).parent_path().filename().string() +
                    "/model";
    ctx.source_bytes = int64_t(ckpt.total_tensor_bytes());
    ctx.target_size_bytes = req.target_size_bytes;
    ctx.min_retention = req.config.validation.min_retention;
    ctx.calibration_samples = calib_n;
    ctx.validation_samples = int64_t(prepared.size());
    ctx.calibration_data = req.have_calib ? req.calib.path.string() : req.stats_file.string();
    ctx.validation_data = req.val.path.string();
    quant::QuantizeOptions qo;
    qo.progress = false;
    qo.stats = stats.get();
    qo.max_shard_bytes = req.max_shard_bytes;
    // A provisional report (package size unknown until written) goes into the manifest.
    ordered_json report = eval::progressive_report_json(out.result, ctx, 0);
    qo.extra_manifest["validation"] = report;
    const fs::path staging_final = scratch / "final.vlmq";
    quant::QuantizeReport qr = quant::quantize_checkpoint(ckpt, out.result.final_config, staging_final, c, qo);
    // Add the report files, then measure and move into place.
    report = eval::progressive_report_json(out.result, ctx, int64_t(qr.package_bytes));
    eval::write_progressive_report(staging_final, report);
    uint64_t bytes = 0;
    for (const auto& f : fs::directory_iterator(staging_final)) bytes += f.file_size();
    report["final"]["package_bytes"] = bytes;
    report["final"]["criteria"]["size"] = int64_t(bytes) < req.target_size_bytes;
    eval::write_progressive_report(staging_final, report);
    {
        StagingDir final_dir(req.out);
        fs::remove(final_dir.path());
        fs::rename(staging_final, final_dir.path());
        final_dir.commit();
    }
    if (!req.report_copy.empty()) write_file_atomic(req.report_copy, json_dump(report));
    out.report = report;
    out.package_bytes = bytes;
    return out;
}

}  // namespace vlmq::pipeline
