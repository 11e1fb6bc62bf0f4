#pragma once
// Small helpers shared by the command files.
#include <memory>

#include "commands.h"
#include "core/thread_pool.h"
#include "core/compute.h"
#include "package/hash_cache.h"
#include "package/package_verify.h"

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

// How commands verify the packages they read: hashes cached per user (package/hash_cache.h), or only the
// structure checks with --no-verify.
inline package::VerifyOptions verify_options(const GlobalOptions& g) {
    if (g.no_verify) return {.hashes = package::HashCheck::Skip, .cache_file = {}};
    return {.hashes = package::HashCheck::Cached, .cache_file = package::default_cache_file()};
}

}  // namespace vlmq::cli
