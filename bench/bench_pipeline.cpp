// End-to-end cost of `vlmq quantize` with validation (the progressive loop) on a full-size checkpoint: runs the
// pipeline once with small sample counts, times every phase (calibration; baseline; per candidate: quantize,
// load, vision, prefill, decode, teacher-forced scoring, metrics) and extrapolates the cost of the same plan at
// the ADR's counts (1000 calibration / 300 validation samples). See bench/README.md.
//
//   build/bench/bench_pipeline --model /work/scratch/fastvlm-0.5b-synth [--calib-samples 2] [--val-samples 3]
//       [--threads 2] [--config configs/adr-001.json] [--calib DIR] [--val DIR] [--out DIR] [--exhaustive]
//       [--feature-cache-mb 1024] [--progress]
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "arch/arch_table.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "pipeline/quantize.h"

namespace {

namespace fs = std::filesystem;
using vlmq::eval::EvalTimings;
using vlmq::pipeline::CandidateTimings;
using vlmq::pipeline::RunTimings;

struct Args {
    std::string model, config = std::string(VLMQ_TEST_DATA) + "/../../configs/adr-001.json";
    std::string calib = std::string(VLMQ_TEST_DATA) + "/tiny-fastvlm-a/data/calib";
    std::string val = std::string(VLMQ_TEST_DATA) + "/tiny-fastvlm-a/data/val";
    std::string out;
    int calib_samples = 2, val_samples = 3, threads = 2;
    int calib_target = 1000, val_target = 300;
    double min_retention = 0.95;
    bool progress = false, exhaustive = false;
    double feature_cache_mb = 1024;
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) vlmq::fail("{} needs a value", k);
            return argv[++i];
        };
        if (k == "--model") a.model = value();
        else if (k == "--config") a.config = value();
        else if (k == "--calib") a.calib = value();
        else if (k == "--val") a.val = value();
        else if (k == "--out") a.out = value();
        else if (k == "--calib-samples") a.calib_samples = std::stoi(value());
        else if (k == "--val-samples") a.val_samples = std::stoi(value());
        else if (k == "--threads") a.threads = std::stoi(value());
        else if (k == "--calib-target") a.calib_target = std::stoi(value());
        else if (k == "--val-target") a.val_target = std::stoi(value());
        else if (k == "--progress") a.progress = true;
        else if (k == "--exhaustive") a.exhaustive = true;
        else if (k == "--feature-cache-mb") a.feature_cache_mb = std::stod(value());
        else vlmq::fail("unknown argument '{}' (see the comment at the top of bench/bench_pipeline.cpp)", k);
    }
    if (a.model.empty()) {
        const char* m = std::getenv("VLMQ_BENCH_MODEL");
        if (!m) vlmq::fail("--model DIR (or $VLMQ_BENCH_MODEL) is required, e.g. `vlmq synth --preset fastvlm-0.5b`");
        a.model = m;
    }
    if (a.out.empty()) a.out = (fs::temp_directory_path() / fmt::format("bench-pipeline-{}.vlmq", getpid())).string();
    return a;
}

double per(double s, int64_t n) { return n > 0 ? s / double(n) : 0.0; }

void print_eval_row(const std::string& name, double fixed_s, const EvalTimings& t, int64_t total) {
    fmt::print("{:<44} {:>7.2f} {:>3}/{:<3} {:>7.2f} {:>7.2f} {:>7.2f} {:>7.2f} {:>7.3f} {:>8.2f} {:>6}\n", name,
               fixed_s, t.samples, total, per(t.vision_s, t.samples), per(t.prefill_s, t.samples),
               per(t.decode_s, t.samples), per(t.forced_s, t.samples), per(t.metrics_s, t.samples),
               per(t.total_s(), t.samples), t.cached_features);
}

// Image-path candidates (vision tower or projector changed) against the rest, per sample.
bool changes_image_path(const CandidateTimings& c) {
    return c.label.starts_with("vision_encoder:") || c.label.starts_with("fusion_layers:");
}

void report(const Args& a, const RunTimings& t) {
    fmt::print("\nper-sample seconds (fixed = quantize + load for candidates)\n");
    fmt::print("{:<44} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>6}\n", "phase", "fixed", "samples", "vision",
               "prefill", "decode", "forced", "metrics", "total", "cached");
    fmt::print("{:<44} {:>7} {:>3}/{:<3} {:>47} {:>8.2f}\n", "calibration", "", t.calibrate_samples,
               t.calibrate_samples, "", per(t.calibrate_s, t.calibrate_samples));
    print_eval_row("baseline", 0.0, t.baseline, t.baseline.samples);
    double image_sum = 0, text_sum = 0;
    int64_t image_n = 0, text_n = 0;
    for (const auto& c : t.candidates) {
        print_eval_row(c.label, c.quantize_s + c.load_s, c.eval, c.samples_total);
        (changes_image_path(c) ? image_sum : text_sum) += c.eval.total_s();
        (changes_image_path(c) ? image_n : text_n) += c.eval.samples;
    }
    fmt::print("prepare {:.2f} s, final package + report {:.2f} s, total {:.1f} s\n", t.prepare_s, t.final_s,
               t.total_s);
    if (image_n && text_n)
        fmt::print("candidate per sample: image path changed {:.2f} s, unchanged {:.2f} s (ratio {:.3f})\n",
                   image_sum / double(image_n), text_sum / double(text_n),
                   (text_sum / double(text_n)) / (image_sum / double(image_n)));

    // The same plan at the ADR's counts: per-sample costs scaled, fixed costs as measured. A candidate that
    // stopped early (agreement budget) runs at the larger count until one disagreement more than the budget
    // allows, at the disagreement rate it showed: d disagreements in its k samples.
    const int64_t n_val = t.baseline.samples;
    const double calib = per(t.calibrate_s, t.calibrate_samples) * a.calib_target;
    const double prepare = per(t.prepare_s, n_val) * a.val_target;
    const double baseline = per(t.baseline.total_s(), n_val) * a.val_target;
    double steps = 0;
    for (const auto& c : t.candidates) {
        double samples = a.val_target;
        if (c.stopped_after) {
            const double d = std::round((1.0 - c.accuracy) * double(c.samples_total));  // best case: the rest agree
            const double allowed = std::floor(double(a.val_target) * (1.0 - a.min_retention) + 1e-9);
            if (d > 0) samples = std::min(samples, std::ceil((allowed + 1) * double(c.stopped_after) / d));
        }
        steps += c.quantize_s + c.load_s + per(c.eval.total_s(), c.eval.samples) * samples;
    }
    const double total = calib + prepare + baseline + steps + t.final_s;
    fmt::print("extrapolated at {} calibration / {} validation samples, {} thread(s), {} candidates: calibration "
               "{:.1f} min, baseline {:.1f} min, candidates {:.1f} min, total {:.1f} min ({:.2f} h)\n",
               a.calib_target, a.val_target, a.threads, t.candidates.size(), calib / 60, baseline / 60, steps / 60,
               total / 60, total / 3600);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        Args a = parse(argc, argv);
        vlmq::ThreadPool pool(a.threads);
        vlmq::Compute c;
        c.pool = &pool;
        vlmq::pipeline::QuantizeRequest req;
        req.model = a.model;
        req.out = a.out;
        req.config = vlmq::quant::QuantConfig::load(a.config, vlmq::arch::arch_table_for_dir(a.model));
        vlmq::eval::DatasetSpec calib, val;
        calib.path = a.calib;
        val.path = a.val;
        req.calib = calib;
        req.val = val;
        req.calib_samples = a.calib_samples;
        req.val_samples = a.val_samples;
        req.progress = a.progress;
        req.early_stop = !a.exhaustive;
        req.feature_cache_bytes = uint64_t(a.feature_cache_mb * 1e6);
        RunTimings t;
        req.timings = &t;
        a.min_retention = req.config.validation.min_retention;
        const auto outcome = vlmq::pipeline::quantize(req, c);
        fmt::print("{} -> {}: {} steps, package {:.1f} MB\n", a.model, a.out,
                   outcome.progressive ? outcome.progressive->result.steps.size() : 0,
                   double(outcome.package_bytes) / 1e6);
        if (outcome.progressive)
            for (const auto& s : outcome.progressive->result.steps)
                fmt::print("  step {:<15} {:<14} {:<6} accuracy {:.4f} kld {:.4f} {}{}\n", s.component,
                           s.format_label(), s.algorithm_label(), s.eval.metrics.accuracy, s.eval.metrics.kld,
                           vlmq::pipeline::decision_name(s.decision),
                           s.eval.stopped_after ? fmt::format(" (stopped after {})", s.eval.stopped_after) : "");
        report(a, t);
        fs::remove_all(a.out);
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench_pipeline: {}\n", e.what());
        return 1;
    }
}
