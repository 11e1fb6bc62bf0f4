#pragma once
// Small helpers shared by the command files.
#include <memory>

#include "commands.h"
#include "core/thread_pool.h"
#include "core/compute.h"

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

}  // namespace vlmq::cli
