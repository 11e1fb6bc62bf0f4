#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "cli_common.h"
#include "commands.h"
#include "core/denormals.h"
#include "core/distributed.h"
#include "core/error.h"

namespace {

// Under mpirun an error on one rank ends all of them (the others may be waiting for it in a reduction).
int fail_all(int code) {
    if (vlmq::dist::size() > 1) vlmq::dist::abort_all(code);
    return code;
}

int run(int argc, char** argv) {
    CLI::App app{"vlmq: per-component mixed-precision quantization, validation and CPU inference for "
                 "vision-language models (FastVLM)"};
    app.set_version_flag("--version", std::string("vlmq ") + VLMQ_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    vlmq::cli::GlobalOptions global;
    app.add_option("--threads", global.threads, "Worker threads (default: all cores)")
        ->check(vlmq::cli::integer_in(1, vlmq::cli::kMaxThreads));
    app.add_option("--kernels", global.kernels, "Kernel tier: auto (best for this CPU) or ref (scalar reference)")
        ->check(CLI::IsMember({"auto", "ref"}));
    app.add_flag("--int8-activations", global.int8_activations,
                 "Products with int weights quantize their activations to int8 (W8A8, as ggml); default: "
                 "weight-only numerics with fp32 activations, as the Core ML and MLX exports run them");
    app.add_flag("--no-verify", global.no_verify,
                 "Do not hash the files of .vlmq packages before use (their structure, sizes and scales are still "
                 "checked); by default each file is hashed once and its hash cached in $XDG_CACHE_HOME/vlmq");

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
    vlmq::cli::add_verify_command(app, global);

    // Commands that shard their samples over MPI ranks; the others would only repeat the same work N times.
    app.parse_complete_callback([&app] {
        if (vlmq::dist::size() == 1) return;
        for (const CLI::App* sub : app.get_subcommands())
            if (sub->get_name() != "calibrate")
                vlmq::fail("'{}' does not run under mpirun with {} ranks (calibrate shards its samples over ranks)",
                           sub->get_name(), vlmq::dist::size());
    });
    const std::string rank = vlmq::dist::size() > 1 ? fmt::format(" (rank {})", vlmq::dist::rank()) : "";
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == int(CLI::ExitCodes::Success)) return fail_all(app.exit(e));  // --help, --version
        // Option errors are input errors like any other: one line, exit code 1 (not CLI11's 1xx codes + a hint).
        std::string message = e.what();
        std::replace(message.begin(), message.end(), '\n', ' ');
        fmt::print(stderr, "vlmq: error{}: {} (see --help)\n", rank, message);
        return fail_all(1);
    } catch (const vlmq::Error& e) {
        fmt::print(stderr, "vlmq: error{}: {}\n", rank, e.what());
        return fail_all(1);
    } catch (const std::bad_alloc&) {
        fmt::print(stderr, "vlmq: error{}: out of memory\n", rank);
        return fail_all(1);
    } catch (const std::exception& e) {
        fmt::print(stderr, "vlmq: internal error{}: {}\n", rank, e.what());
        return fail_all(2);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    vlmq::flush_denormals_on_this_thread();
    vlmq::dist::init(argc, argv);
    // Only rank 0 speaks and writes; the other ranks compute their share of the samples.
    if (!vlmq::dist::is_root() && !std::freopen("/dev/null", "w", stdout)) return fail_all(1);
    const int code = run(argc, argv);
    vlmq::dist::finalize();
    return code;
}
