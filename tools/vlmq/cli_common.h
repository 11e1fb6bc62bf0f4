#pragma once
// Small helpers shared by the command files.
#include <memory>

#include "commands.h"
#include "core/compute.h"
#include "core/output_guard.h"
#include "core/thread_pool.h"

namespace vlmq::cli {

// Owns the thread pool that the Compute points to.
struct ComputeContext {
    std::unique_ptr<ThreadPool> pool;
    Compute compute;
};

inline ComputeContext make_compute(const GlobalOptions& g) {
    ComputeContext ctx;
    ctx.pool = std::make_unique<ThreadPool>(g.threads);
    ctx.compute.pool = ctx.pool.get();
    ctx.compute.reference = g.kernels == "ref";
    ctx.compute.int8_activations = g.int8_activations;
    return ctx;
}

// --force: the one flag, with the one help text, of every command that writes an output.
inline void add_force_flag(CLI::App* cmd, bool& force) {
    cmd->add_flag("--force", force,
                  "Replace an existing output even when vlmq did not write it (never an input, never a file by a "
                  "directory or a directory by a file)");
}

}  // namespace vlmq::cli
