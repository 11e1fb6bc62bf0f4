// `vlmq export coreml`: the vision tower as a Core ML ML Program package (src/export/coreml, docs/coreml.md).
#include <fmt/format.h>

#include "cli_common.h"
#include "core/error.h"
#include "export/coreml/export.h"
#include "export/coreml/mlpackage.h"
#include "export/coreml/verify.h"
#include "export_commands.h"

namespace vlmq::cli {

namespace {

struct Options {
    std::string model, out, target = "ios18", float_weights = "fp16";
    bool json = false, verify = false, tensors = false, force = false;
};

std::string mib(uint64_t bytes) { return fmt::format("{:.2f} MiB", double(bytes) / double(1 << 20)); }

void print_report(const exporters::coreml::ExportReport& r, const Options& opt) {
    const auto& ti = exporters::coreml::target_info(r.target);
    fmt::print("{} -> {}\n", opt.model, r.out.string());
    fmt::print("  target {} (specificationVersion {}, opset {}), compute precision fp32\n", ti.name, ti.spec_version,
               ti.opset);
    fmt::print("  input  images         [1, 3, {}, {}] fp32\n", r.image_size, r.image_size);
    fmt::print("  output image_features [1, {}, {}] fp32\n", r.tokens, r.channels);
    fmt::print("  {} operations, model.mlmodel {}, weight.bin {} ({} blobs)\n", r.operations, mib(r.model_bytes),
               mib(r.weight_bin_bytes), r.blobs);
    for (const auto& [k, v] : r.by_format) fmt::print("  source {:<14} {:>4} tensors\n", k, v.tensors);
    for (const auto& [k, v] : r.by_storage)
        fmt::print("  stored {:<14} {:>4} tensors  {}\n", k, v.tensors, mib(uint64_t(v.blob_bytes)));
    if (opt.tensors)
        for (const auto& w : r.weights)
            fmt::print("    {:<70} {:<14} -> {:<14} {:>10} B\n", w.tensor, w.format, w.storage, w.blob_bytes);
}

}  // namespace

void add_export_coreml(CLI::App* export_cmd, GlobalOptions& global) {
    auto opt = std::make_shared<Options>();
    auto* cmd = export_cmd->add_subcommand(
        "coreml", "Export the vision tower as a Core ML ML Program package (input images, output image_features)");
    cmd->add_option("--model", opt->model, "Checkpoint directory or .vlmq package")->required();
    cmd->add_option("--out", opt->out, "Output package, NAME.mlpackage")->required();
    cmd->add_option("--deployment-target", opt->target,
                    "ios18 (default; int4/int8 group-wise weights), ios17 or ios16 (per-channel int8 only)");
    cmd->add_option("--float-weights", opt->float_weights, "Storage of unquantized weights: fp16 (default) or fp32");
    cmd->add_flag("--verify", opt->verify,
                  "Run the exported program with vlmq's interpreter and compare image_features with the engine on a "
                  "test pattern");
    cmd->add_flag("--tensors", opt->tensors, "List every stored weight");
    cmd->add_flag("--json", opt->json, "Machine-readable JSON report on stdout");
    add_force_flag(cmd, opt->force);
    cmd->callback([opt, &global] {
        check_output(opt->out, exporters::coreml::mlpackage_output_kind(), {{"--model", opt->model}}, opt->force);
        exporters::coreml::ExportOptions o;
        o.force = opt->force;
        o.model = opt->model;
        o.out = opt->out;
        o.target = exporters::coreml::parse_target_or_fail(opt->target);
        o.verify = verify_options(global);
        if (opt->float_weights == "fp16")
            o.float_storage = exporters::coreml::FloatStorage::F16;
        else if (opt->float_weights == "fp32")
            o.float_storage = exporters::coreml::FloatStorage::F32;
        else
            fail("--float-weights {}: expected fp16 or fp32", opt->float_weights);
        const auto r = exporters::coreml::export_coreml(o);
        ordered_json j = r.to_json();
        if (!opt->json) print_report(r, *opt);
        if (opt->verify) {
            auto ctx = make_compute(global);
            const auto v = exporters::coreml::verify_against_engine(o.out, o.model,
                                                                    exporters::coreml::test_pattern(r.image_size),
                                                                    ctx.compute, o.verify);
            j["verify"] = v.to_json();
            if (!opt->json) {
                fmt::print("verify: {} constants vs source weights, worst max|diff|/max|source| {:.3g} ({})\n",
                           v.weights.compared, v.weights.worst_rel, v.weights.worst_name);
                fmt::print("verify: {} matrix-product inputs vs engine, worst max|diff|/max|engine| {:.3g} ({})\n",
                           v.matrix_inputs, v.matrix_inputs_worst_rel, v.matrix_inputs_worst);
                fmt::print("verify: image_features max|coreml - engine| = {:.3g}, max|engine| = {:.3g}, relative {:.3g} "
                           "(engine {:.2f} s, interpreter {:.2f} s)\n",
                           v.max_abs_diff, v.max_ref, v.rel, v.engine_seconds, v.interpreter_seconds);
            }
        }
        if (opt->json) fmt::print("{}", json_dump(j));
    });
}

}  // namespace vlmq::cli
