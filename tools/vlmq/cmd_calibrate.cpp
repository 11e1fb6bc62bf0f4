#include <fmt/format.h>

#include "arch/arch_table.h"
#include "calib/calib_stats.h"
#include "cli_common.h"
#include "core/distributed.h"
#include "core/error.h"
#include "dataset_options.h"
#include "model/fastvlm.h"
#include "pipeline/calibrate.h"
#include "quant/quant_config.h"

namespace vlmq::cli {

void add_calibrate_command(CLI::App& app, GlobalOptions& global) {
    struct Options {
        std::string model, out, config;
        DatasetOptions data;
        int samples = 0;
        uint64_t seed = 0;
        int64_t hessian_max_k = 4096, hessian_budget_mb = 4096;
        bool json = false, blank_images = false, force = false;
    };
    auto opt = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("calibrate",
                                   "Run the unquantized model on calibration samples and save the input statistics "
                                   "of every matrix product (for weighted/GPTQ/AWQ rounding)");
    cmd->add_option("--model", opt->model, "Checkpoint directory")->required();
    opt->data.add(cmd, "--data", "", "Calibration data");
    cmd->add_option("--samples", opt->samples, "Samples to use (default: the config's calibration_samples, else 1000)")
        ->check(integer_in(1, quant::kMaxSamples));
    cmd->add_option("--config", opt->config, "Quantization config (for calibration_samples)");
    cmd->add_option("--seed", opt->seed, "Seed of the deterministic sample selection")->check(seed_value());
    cmd->add_option("--hessian-max-k", opt->hessian_max_k, "Collect X^T X only for inputs at most this wide")
        ->check(integer_in(1, 1 << 20));
    cmd->add_option("--hessian-budget-mb", opt->hessian_budget_mb, "Memory budget for X^T X accumulators")
        ->check(integer_in(0, int64_t(kMaxMegabytes)));
    cmd->add_option("--out", opt->out, "Statistics file (.safetensors)")->required();
    cmd->add_flag("--blank-images", opt->blank_images,
                  "Replace every image by a black one (text-only calibration, to compare with image calibration)");
    cmd->add_flag("--json", opt->json, "Print a JSON summary");
    add_force_flag(cmd, opt->force);
    cmd->callback([opt, &global] {
        if (!opt->data.given()) fail("calibrate: --data is required");
        std::vector<InputPath> inputs{{"--model", opt->model}, {"--config", opt->config}};
        opt->data.add_inputs(inputs);
        check_output(opt->out, calib::stats_output_kind(), inputs, opt->force);
        int n = opt->samples;
        auto ctx = make_compute(global);
        const model::FastVLM model(opt->model, verify_options(global));
        if (n == 0)
            n = opt->config.empty() ? quant::QuantConfig().calibration_samples
                                    : quant::QuantConfig::load(opt->config, arch::arch_table_for_dir(opt->model))
                                          .calibration_samples;
        const auto chosen = eval::select_samples(eval::load_dataset(opt->data.spec()), size_t(n), opt->seed);
        calib::CollectOptions co;
        co.hessian_max_k = opt->hessian_max_k;
        co.hessian_budget_mb = opt->hessian_budget_mb;
        auto stats = pipeline::collect_stats(model, chosen, ctx.compute, co, !opt->json,
                                             opt->blank_images ? pipeline::CalibrationImages::Blank
                                                               : pipeline::CalibrationImages::Dataset);
        stats->provenance["seed"] = opt->seed;
        if (dist::is_root()) stats->save(opt->out, opt->force);
        int64_t with_h = 0;
        for (const auto& [name, s] : stats->all()) with_h += s.has_hessian();
        if (opt->json) {
            fmt::print("{}", json_dump(ordered_json{{"out", opt->out},
                                                    {"samples", stats->samples},
                                                    {"weights", stats->all().size()},
                                                    {"with_hessian", with_h},
                                                    {"activations", activations_name(ctx.compute)}}));
        } else {
            fmt::print("{}: statistics of {} weights ({} with X^T X) from {} samples\n", opt->out, stats->all().size(),
                       with_h, stats->samples);
        }
    });
}

}  // namespace vlmq::cli
