#include <fmt/format.h>

#include "cli_common.h"
#include "core/error.h"
#include "export/mlx/export.h"
#include "export_commands.h"

namespace vlmq::cli {

namespace {

struct Options {
    std::string model, out, float_dtype = "float16";
    bool only_llm = false, json = false, tensors = false, force = false;
    int group_size = 64;
    double shard_gb = 5.0;
};

}  // namespace

void add_export_mlx(CLI::App* export_cmd, GlobalOptions& global) {
    auto opt = std::make_shared<Options>();
    auto* cmd = export_cmd->add_subcommand(
        "mlx", "Write an MLX model directory loadable by mlx-vlm's FastVLM (or Apple's LLM-only split with --only-llm)");
    cmd->add_option("--model", opt->model, "Checkpoint directory or .vlmq package")->required();
    cmd->add_option("--out", opt->out, "Output directory")->required();
    cmd->add_flag("--only-llm", opt->only_llm,
                  "Apple's split: drop the vision tower (shipped as Core ML), keep projector + LLM with "
                  "multi_modal_projector.linear_{0,2} names");
    cmd->add_option("--group-size", opt->group_size,
                    "MLX group size (32, 64 or 128) for layers that must be re-quantized (default 64)");
    cmd->add_option("--float-dtype", opt->float_dtype, "Dtype of non-quantized tensors: float16 (default) or bfloat16");
    cmd->add_option("--shard-gb", opt->shard_gb, "Maximum size of one safetensors file in GiB (default 5, as mlx-lm)")
        ->check(number_in(kMinShardGb, kMaxShardGb));
    cmd->add_flag("--tensors", opt->tensors, "List every tensor in the report");
    cmd->add_flag("--json", opt->json, "Machine-readable JSON report on stdout");
    add_force_flag(cmd, opt->force);
    cmd->callback([opt, &global] {
        check_output(opt->out, exporters::mlx::mlx_output_kind(), {{"--model", opt->model}}, opt->force);
        exporters::mlx::ExportOptions o;
        o.force = opt->force;
        o.only_llm = opt->only_llm;
        o.group_size = opt->group_size;
        if (opt->float_dtype == "float16")
            o.float_dtype = DType::F16;
        else if (opt->float_dtype == "bfloat16")
            o.float_dtype = DType::BF16;
        else
            fail("--float-dtype {}: expected float16 or bfloat16", opt->float_dtype);
        o.max_shard_bytes = uint64_t(opt->shard_gb * double(1ull << 30));
        o.progress = !opt->json;
        o.verify = verify_options(global);
        auto ctx = make_compute(global);
        const auto r = exporters::mlx::export_mlx(opt->model, opt->out, o, ctx.compute);
        if (opt->json)
            fmt::print("{}", json_dump(exporters::mlx::export_report_json(r, true)));
        else
            fmt::print("{}", exporters::mlx::format_export_report(r, opt->tensors));
    });
}

}  // namespace vlmq::cli
