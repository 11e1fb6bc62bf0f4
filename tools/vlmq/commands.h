#pragma once
// Each vlmq subcommand lives in its own cmd_<name>.cpp and registers itself on the app here.
#include <CLI/CLI.hpp>

namespace vlmq::cli {

// Options shared by all commands.
struct GlobalOptions {
    int threads = 0;  // 0 = all cores
    std::string kernels = "auto";
    bool int8_activations = false;  // W8A8-style products instead of the deployed weight-only numerics
    bool no_verify = false;         // skip hashing the files of .vlmq packages read (structure checks still run)
};

void add_inspect_command(CLI::App& app, GlobalOptions& global);
void add_quantize_command(CLI::App& app, GlobalOptions& global);
void add_dequantize_command(CLI::App& app, GlobalOptions& global);
void add_synth_command(CLI::App& app, GlobalOptions& global);
void add_run_command(CLI::App& app, GlobalOptions& global);
void add_forward_command(CLI::App& app, GlobalOptions& global);
void add_calibrate_command(CLI::App& app, GlobalOptions& global);
void add_eval_command(CLI::App& app, GlobalOptions& global);
void add_score_command(CLI::App& app, GlobalOptions& global);
void add_export_command(CLI::App& app, GlobalOptions& global);
void add_verify_command(CLI::App& app, GlobalOptions& global);

}  // namespace vlmq::cli
