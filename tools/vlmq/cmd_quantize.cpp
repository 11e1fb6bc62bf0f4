#include <fmt/format.h>

#include "cli_common.h"
#include "core/error.h"
#include "io/checkpoint.h"
#include "model/arch_table.h"
#include "quant/quantizer.h"
#include "quant/report_format.h"

namespace vlmq::cli {

namespace {

struct Options {
    std::string model, config, out;
    bool json = false, dry_run = false, tensors = false;
    double shard_gb = 2.0;
};

void print_plan(const quant::Plan& plan, bool as_json) {
    if (as_json) {
        ordered_json arr = ordered_json::array();
        for (const auto& e : plan.entries)
            arr.push_back({{"name", e.tensor.name},
                           {"component", e.component},
                           {"shape", e.tensor.shape},
                           {"format", e.keep ? std::string("keep") : e.precision.str()},
                           {"bytes", e.stored_bytes()},
                           {"fallback", e.note},
                           {"reason", e.why}});
        fmt::print("{}", json_dump(ordered_json{{"plan", arr}}));
        return;
    }
    int64_t total = 0;
    for (const auto& e : plan.entries) {
        fmt::print("{:<80} {:<16} {:<22} {:>11}  {}\n", e.tensor.name, e.component,
                   e.keep ? std::string("keep") : e.precision.str(), e.stored_bytes(), e.note);
        total += e.stored_bytes();
    }
    fmt::print("total tensor bytes: {} ({} MB)\n", total, quant::format_mb(double(total)));
}

}  // namespace

void add_quantize_command(CLI::App& app, GlobalOptions& global) {
    auto opt = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("quantize", "Quantize a checkpoint per component into a .vlmq package");
    cmd->add_option("--model", opt->model, "Checkpoint directory (config.json + safetensors)")->required();
    cmd->add_option("--config", opt->config, "Quantization config JSON (e.g. configs/adr-001.json)")->required();
    cmd->add_option("--out", opt->out, "Output package directory (e.g. model.vlmq)");
    cmd->add_option("--shard-gb", opt->shard_gb, "Maximum size of one package shard in GB")->check(CLI::PositiveNumber);
    cmd->add_flag("--dry-run", opt->dry_run, "Print the per-tensor plan and sizes without writing anything");
    cmd->add_flag("--tensors", opt->tensors, "List every tensor in the report");
    cmd->add_flag("--json", opt->json, "Machine-readable JSON report on stdout");
    cmd->callback([opt, &global] {
        const io::Checkpoint ckpt(opt->model);
        const quant::QuantConfig config = quant::QuantConfig::load(opt->config);
        if (opt->dry_run) {
            const auto arch = model::arch_table_for_config(ckpt.config(), opt->model + "/config.json");
            print_plan(quant::make_plan(quant::checkpoint_tensors(ckpt), arch, config), opt->json);
            return;
        }
        if (opt->out.empty()) fail("--out is required (or use --dry-run)");
        auto ctx = make_compute(global);
        quant::QuantizeOptions qo;
        qo.progress = !opt->json;
        qo.max_shard_bytes = uint64_t(opt->shard_gb * 1e9);
        const quant::QuantizeReport r = quant::quantize_checkpoint(ckpt, config, opt->out, ctx.compute, qo);
        if (opt->json) {
            ordered_json j = quant::report_json(r, true);
            j["out"] = opt->out;
            fmt::print("{}", json_dump(j));
            return;
        }
        fmt::print("{} -> {}  ({} tensors in {:.2f} s)\n", opt->model, opt->out, r.tensors.size(), r.seconds);
        fmt::print("{}", quant::format_report(r, opt->tensors ? -1 : 5));
        fmt::print("package on disk: {} bytes ({} MB)\n", r.package_bytes, quant::format_mb(double(r.package_bytes)));
    });
}

}  // namespace vlmq::cli
