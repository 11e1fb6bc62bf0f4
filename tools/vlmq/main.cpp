#include <fmt/format.h>

#include <cstdio>

#include "commands.h"
#include "core/denormals.h"
#include "core/error.h"

int main(int argc, char** argv) {
    vlmq::flush_denormals_on_this_thread();
    CLI::App app{"vlmq: per-component mixed-precision quantization, validation and CPU inference for "
                 "vision-language models (FastVLM)"};
    app.set_version_flag("--version", std::string("vlmq ") + VLMQ_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    vlmq::cli::GlobalOptions global;
    app.add_option("--threads", global.threads, "Worker threads (0 = all cores)")->check(CLI::NonNegativeNumber);
    app.add_option("--kernels", global.kernels, "Kernel tier: auto (best for this CPU) or ref (scalar reference)")
        ->check(CLI::IsMember({"auto", "ref"}));
    app.add_flag("--int8-activations", global.int8_activations,
                 "Products with int weights quantize their activations to int8 (W8A8, as ggml); default: "
                 "weight-only numerics with fp32 activations, as the Core ML and MLX exports run them");

    vlmq::cli::add_inspect_command(app, global);
    vlmq::cli::add_quantize_command(app, global);
    vlmq::cli::add_dequantize_command(app, global);
    vlmq::cli::add_synth_command(app, global);
    vlmq::cli::add_run_command(app, global);
    vlmq::cli::add_forward_command(app, global);
    vlmq::cli::add_calibrate_command(app, global);
    vlmq::cli::add_eval_command(app, global);
    vlmq::cli::add_score_command(app, global);
    vlmq::cli::add_export_command(app, global);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const vlmq::Error& e) {
        fmt::print(stderr, "vlmq: error: {}\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        fmt::print(stderr, "vlmq: error: out of memory\n");
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "vlmq: internal error: {}\n", e.what());
        return 2;
    }
    return 0;
}
