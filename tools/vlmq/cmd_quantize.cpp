#include <fmt/format.h>

#include <optional>

#include "arch/arch_table.h"
#include "calib/calib_stats.h"
#include "cli_common.h"
#include "core/error.h"
#include "core/json_util.h"
#include "core/progress.h"
#include "dataset_options.h"
#include "io/checkpoint.h"
#include "model/fastvlm_tensors.h"
#include "package/writer.h"
#include "pipeline/quantize.h"
#include "quant/awq_transform.h"
#include "quant/quantizer.h"
#include "quant/report_format.h"

namespace vlmq::cli {

namespace {

struct Options {
    std::string model, config, out, stats, report, metric;
    DatasetOptions calib, val;
    int calib_samples = 0, val_samples = 0;
    uint64_t seed = 0;
    double target_mb = double(quant::kAdrTargetSizeBytes) / 1e6;
    bool json = false, dry_run = false, tensors = false, allocate = false, exhaustive = false,
         per_unit_fallback = false, force = false;
    std::optional<double> min_retention;
    double shard_gb = 2.0, feature_cache_mb = 1024;
};

// "scaled", "no-gain" (alpha 0: no scaling beats plain rounding) or "not-searched" (no usable statistics or producer).
const char* awq_group_state(const quant::AwqGroup& g) {
    if (!g.searched) return "not-searched";
    return g.scales.empty() ? "no-gain" : "scaled";
}

ordered_json awq_json(const quant::AwqPlan& awq) {
    ordered_json groups = ordered_json::array();
    for (const auto& g : awq.groups) {
        ordered_json producers = ordered_json::array();
        for (const auto& p : g.producers)
            producers.push_back({{"name", p.name},
                                 {"kind", p.kind == quant::AwqProducer::Kind::Rows ? "rows" : "vector"},
                                 {"retyped_f32", p.retyped}});
        groups.push_back({{"group", g.key},
                          {"state", awq_group_state(g)},
                          {"alpha", g.alpha},
                          {"consumers", g.consumers},
                          {"producers", producers}});
    }
    return {{"groups", groups}, {"unscaled", awq.unscaled}};
}

void print_awq(const quant::AwqPlan& awq) {
    fmt::print("awq scale groups (scaled: consumers' columns multiplied by s, producers divided by s; no-gain: "
               "no alpha beats plain rounding, rounded to nearest; not-searched: no usable statistics or producer):\n");
    for (const auto& g : awq.groups) {
        fmt::print("  {}: {}", g.key, awq_group_state(g));
        if (g.searched) fmt::print(", alpha {:.2f}", g.alpha);
        fmt::print("\n");
        if (g.scales.empty()) continue;
        for (const auto& c : g.consumers) fmt::print("    scaled   {}\n", c);
        for (const auto& p : g.producers) fmt::print("    divided  {}{}\n", p.name, p.retyped ? " (kept -> f32)" : "");
    }
    fmt::print("awq-planned tensors without a usable scale group (weighted rounding): {}\n", awq.unscaled.size());
    for (const auto& t : awq.unscaled) fmt::print("  {}\n", t);
}

// The AWQ part is shown when statistics were given (`with_awq`).
void print_plan(const quant::Plan& plan, bool as_json, bool with_awq) {
    if (as_json) {
        ordered_json arr = ordered_json::array();
        for (const auto& e : plan.entries)
            arr.push_back({{"name", e.tensor.name},
                           {"component", e.component},
                           {"shape", e.tensor.shape},
                           {"format", e.keep ? std::string("keep") : e.precision.str()},
                           {"bytes", e.stored_bytes()},
                           {"fallback", e.note},
                           {"reason", e.why()}});
        ordered_json j{{"plan", arr}};
        if (with_awq) j["awq"] = awq_json(plan.awq);
        fmt::print("{}", json_dump(j));
        return;
    }
    int64_t total = 0;
    for (const auto& e : plan.entries) {
        fmt::print("{:<80} {:<16} {:<22} {:>11}  {}\n", e.tensor.name, e.component,
                   e.keep ? std::string("keep") : e.precision.str(), e.stored_bytes(), e.note);
        total += e.stored_bytes();
    }
    fmt::print("total tensor bytes: {} ({} MB)\n", total, quant::format_mb(double(total)));
    if (with_awq) print_awq(plan.awq);
}

// The plan as quantize would follow it; with statistics, including the AWQ search.
void dry_run(const Options& o, const io::Checkpoint& ckpt, const arch::ArchTable& arch,
             const quant::QuantConfig& config, const GlobalOptions& global) {
    model::check_model(*package::open_weights(o.model));  // what pipeline::quantize checks first
    quant::Plan plan = quant::make_plan(quant::checkpoint_tensors(ckpt), arch, config);
    const bool with_awq = !o.stats.empty();
    if (with_awq) {
        const auto stats = calib::CalibrationStats::load(o.stats);
        auto ctx = make_compute(global);
        quant::plan_awq(plan, ckpt, arch, *stats, ctx.compute);
        quant::note_statistics_fallbacks(plan, *stats);
    }
    print_plan(plan, o.json, with_awq);
}

// --out (and --report) against the output rules, before any work.
void check_outputs(const Options& o) {
    if (o.out.empty()) fail("--out is required (or use --dry-run)");
    std::vector<InputPath> inputs{{"--model", o.model}, {"--config", o.config}, {"--stats", o.stats}};
    o.calib.add_inputs(inputs);
    o.val.add_inputs(inputs);
    check_output(o.out, package::package_output_kind(), inputs, o.force);
    if (o.report.empty()) return;
    inputs.push_back({"--out", o.out});
    check_output(o.report, pipeline::report_output_kind(), inputs, o.force, "--report");
}

// The config file with the validation settings given on the command line in place of its own.
json with_overrides(const Options& o, json config) {
    if (!config.is_object()) return config;  // the parser names the error
    const bool validation_object = !config.contains("validation") || config["validation"].is_object();
    if (!o.metric.empty() && validation_object) config["validation"]["metric"] = o.metric;
    if (o.min_retention && validation_object) config["validation"]["min_retention"] = *o.min_retention;
    if (o.per_unit_fallback) config["per_layer_fallback"] = true;
    return config;
}

pipeline::QuantizeRequest make_request(const Options& o, const quant::QuantConfig& config) {
    pipeline::QuantizeRequest req;
    req.model = o.model;
    req.out = o.out;
    req.config = config;
    if (o.calib.given()) req.calib = o.calib.spec();
    if (o.val.given()) req.val = o.val.spec();
    req.stats_file = o.stats;
    if (o.calib_samples > 0) req.calib_samples = o.calib_samples;
    if (o.val_samples > 0) req.val_samples = o.val_samples;
    req.seed = o.seed;
    req.target_size_bytes = int64_t(o.target_mb * 1e6);
    req.fit_to_target = o.allocate;
    req.report_copy = o.report;
    req.force = o.force;
    req.progress = true;  // on a terminal, or as JSON lines with --json
    req.early_stop = !o.exhaustive;
    req.feature_cache_bytes = uint64_t(o.feature_cache_mb * 1e6);
    req.max_shard_bytes = uint64_t(o.shard_gb * 1e9);
    return req;
}

void print_progressive(const Options& o, const pipeline::ProgressiveReport& report, uint64_t package_bytes) {
    if (o.json) {
        fmt::print("{}", json_dump(report.to_json()));
        return;
    }
    const pipeline::ProgressiveResult& r = report.result;
    fmt::print("{} -> {}: {} MB on disk, {} {:.4f} (baseline {:.4f}, retention {:.3f}), KLD {:.4f}\n", o.model, o.out,
               quant::format_mb(double(package_bytes)), quant::metric_name(r.metric), r.final_eval.metrics.accuracy,
               r.baseline.metrics.accuracy, r.final_retention, r.final_eval.metrics.kld);
    fmt::print("validation numerics: {} activations{}\n", report.context.activations,
               report.context.activations == "fp32" ? " (weight-only, as deployed)" : "");
    fmt::print("criteria: size < {:.0f} MB {}, retention >= {:.0f}% {}\n", o.target_mb,
               report.size_passes() ? "PASS" : "FAIL", report.context.min_retention * 100,
               r.passed_retention ? "PASS" : "FAIL");
    fmt::print("report: {0}/report.md, {0}/report.json, {0}/report.svg\n", o.out);
}

void print_package(const Options& o, const quant::QuantizeReport& r) {
    if (o.json) {
        ordered_json j = quant::report_json(r, true);
        j["out"] = o.out;
        fmt::print("{}", json_dump(j));
        return;
    }
    fmt::print("{} -> {}  ({} tensors in {:.2f} s)\n", o.model, o.out, r.tensors.size(), r.seconds);
    fmt::print("{}", quant::format_report(r, o.tensors ? -1 : 5));
    fmt::print("package on disk: {} bytes ({} MB)\n", r.package_bytes, quant::format_mb(double(r.package_bytes)));
}

}  // namespace

void add_quantize_command(CLI::App& app, GlobalOptions& global) {
    auto opt = std::make_shared<Options>();
    auto* cmd = app.add_subcommand(
        "quantize", "Quantize a checkpoint per component into a .vlmq package; with --val, progressively: component by "
                    "component with validation, retry with data-aware rounding, and fallback to higher precision");
    cmd->add_option("--model", opt->model, "Checkpoint directory (config.json + safetensors)")->required();
    cmd->add_option("--config", opt->config, "Quantization config JSON (e.g. configs/adr-001.json)")->required();
    cmd->add_option("--out", opt->out, "Output package directory (e.g. model.vlmq)");
    opt->calib.add(cmd, "--calib", "calib-", "Calibration data");
    opt->val.add(cmd, "--val", "val-", "Validation data (enables progressive quantization)");
    cmd->add_option("--stats", opt->stats,
                    "Calibration statistics from `vlmq calibrate` (instead of --calib); with --dry-run, also plan and "
                    "show the AWQ transform")
        ->excludes("--calib");
    cmd->add_option("--calib-samples", opt->calib_samples, "Calibration samples (default: config calibration_samples)")
        ->check(integer_in(1, quant::kMaxSamples));
    cmd->add_option("--val-samples", opt->val_samples, "Validation samples (default: config validation.samples)")
        ->check(integer_in(1, quant::kMaxSamples));
    cmd->add_option("--seed", opt->seed, "Seed of the deterministic sample selection")->check(seed_value());
    cmd->add_option("--metric", opt->metric,
                    "Validation metric, instead of the config's validation.metric: agreement | vqa | exact | kld")
        ->check(CLI::IsMember({"agreement", "vqa", "exact", "kld"}));
    cmd->add_option("--min-retention", opt->min_retention,
                    "Accuracy budget (metric / baseline), instead of the config's validation.min_retention")
        ->check(number_in(0.0, 1.0));
    cmd->add_flag("--per-unit-fallback", opt->per_unit_fallback,
                  "Fall back unit by unit (ranked by measured sensitivity), as the config's per_layer_fallback: true");
    cmd->add_option("--target-size", opt->target_mb,
                    "Size budget in MB: lower the least sensitive layers' precision until the package tensors fit "
                    "(without it, 500 MB is only reported as the ADR's pass/fail criterion)")
        ->check(number_in(0, kMaxMegabytes, true))
        ->each([opt](const std::string&) { opt->allocate = true; });
    cmd->add_option("--report", opt->report, "Also write the progressive report.json here");
    cmd->add_option("--shard-gb", opt->shard_gb, "Maximum size of one package shard in GB")
        ->check(number_in(kMinShardGb, kMaxShardGb));
    cmd->add_flag("--dry-run", opt->dry_run, "Print the per-tensor plan and sizes without writing anything (with --stats: the AWQ scale groups too)");
    cmd->add_flag("--tensors", opt->tensors, "List every tensor in the report");
    cmd->add_flag("--exhaustive", opt->exhaustive,
                  "Validate every candidate on every sample (default: stop once a candidate cannot pass; the "
                  "decisions are the same)");
    cmd->add_option("--feature-cache-mb", opt->feature_cache_mb,
                    "Memory for cached image features in MB (the rest spills to a file next to --out)")
        ->check(number_in(0, kMaxMegabytes));
    cmd->add_flag("--json", opt->json,
                  "Machine-readable JSON report on stdout, progress as one JSON object per line on stderr");
    add_force_flag(cmd, opt->force);
    cmd->callback([opt, &global] {
        if (!opt->dry_run) check_outputs(*opt);
        const io::Checkpoint ckpt(opt->model);
        const arch::ArchTable arch = arch::arch_table_for_config(ckpt.config(), opt->model + "/config.json");
        const quant::QuantConfig config =
            quant::QuantConfig::parse(with_overrides(*opt, read_json_file(opt->config)), opt->config, arch);
        if (opt->dry_run) {
            dry_run(*opt, ckpt, arch, config, global);
            return;
        }
        if (opt->out.empty()) fail("--out is required (or use --dry-run)");
        if (opt->json) Progress::set_style(ProgressStyle::Json);
        auto ctx = make_compute(global);
        const auto outcome = pipeline::quantize(make_request(*opt, config), ctx.compute);
        if (outcome.progressive) {
            print_progressive(*opt, *outcome.progressive, outcome.package_bytes);
        } else {
            print_package(*opt, outcome.package);
        }
    });
}

}  // namespace vlmq::cli
