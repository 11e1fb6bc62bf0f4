#pragma once
// Small helpers shared by the command files.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "commands.h"
#include "core/compute.h"
#include "core/output_guard.h"
#include "core/thread_pool.h"
#include "package/hash_cache.h"
#include "package/package_verify.h"

namespace vlmq::cli {

// Bounds of numeric options, checked on the option's text before CLI11 converts it (whose own checks let NaN,
// infinities and octal/hex spellings through). A failure is one line naming the option, e.g.
// "--target-size: 'nan' is not a finite number in (0, 1e+09]"; main() turns it into exit code 1.

// A decimal number in [lo, hi], or (lo, hi] with `open_low`.
inline CLI::Validator number_in(double lo, double hi, bool open_low = false) {
    const std::string range = fmt::format("{}{}, {}]", open_low ? "(" : "[", lo, hi);
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            double v = 0;
            const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
            const bool ok = r.ec == std::errc() && r.ptr == text.data() + text.size() && std::isfinite(v) &&
                            (open_low ? v > lo : v >= lo) && v <= hi;
            return ok ? "" : fmt::format("'{}' is not a finite number in {}", text, range);
        },
        "NUMBER in " + range);
}

// A decimal integer in [lo, hi], written without leading zeros (CLI11 would read "010" as octal).
inline CLI::Validator integer_in(int64_t lo, int64_t hi) {
    const std::string range = fmt::format("{}..{}", lo, hi);
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            int64_t v = 0;
            const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
            const size_t digits = text.size() - (text.starts_with('-') ? 1 : 0);
            const bool canonical = digits == 1 || text[text.size() - digits] != '0';
            const bool ok = r.ec == std::errc() && r.ptr == text.data() + text.size() && canonical && v >= lo &&
                            v <= hi;
            return ok ? "" : fmt::format("'{}' is not an integer in {}", text, range);
        },
        "INT in " + range);
}

// A seed: any decimal integer in 0..2^64-1 (CLI11 alone would wrap "-1" to 2^64-1).
inline CLI::Validator seed_value() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            uint64_t v = 0;
            const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
            const bool ok = r.ec == std::errc() && r.ptr == text.data() + text.size() &&
                            (text.size() == 1 || text[0] != '0');
            return ok ? "" : fmt::format("'{}' is not an integer in 0..{}", text,
                                         std::numeric_limits<uint64_t>::max());
        },
        "SEED in 0..2^64-1");
}

// Worker threads a command may ask for (the default, 0, means all cores).
inline constexpr int kMaxThreads = 1024;
// Sizes in MB (--target-size, caches, budgets): up to a petabyte.
inline constexpr double kMaxMegabytes = 1e9;
// Shard sizes in GB: from 1 MB (smaller would put every tensor in a file of its own) to a petabyte.
inline constexpr double kMinShardGb = 1e-6, kMaxShardGb = 1e6;
// Generated tokens per answer.
inline constexpr int64_t kMaxNewTokens = 1 << 20;

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

// --force: the one flag, with the one help text, of every command that writes an output.
inline void add_force_flag(CLI::App* cmd, bool& force) {
    cmd->add_flag("--force", force,
                  "Replace an existing output even when vlmq did not write it (never an input, never a file by a "
                  "directory or a directory by a file)");
}

}  // namespace vlmq::cli
