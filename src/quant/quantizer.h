#pragma once
// Streams a checkpoint through the mixing plan into a .vlmq package: one tensor at a time, rows in
// parallel, outputs written at their final offsets, per-tensor error statistics, manifest last; the
// package directory appears only when complete.
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "calib/calib_stats.h"
#include "io/checkpoint.h"
#include "package/component_summary.h"
#include "core/compute.h"
#include "quant/plan.h"
#include "quant/quant_config.h"

namespace vlmq::quant {

struct TensorReport {
    const PlanEntry* entry = nullptr;
    std::string file;            // shard holding it
    std::optional<rounding::Algorithm> algorithm;  // rounding applied (int formats)
    int64_t stored_bytes = 0;
    double rel_error = 0.0;      // ||w - w_hat||_F / ||w||_F
    double sqnr_db = INFINITY;   // 10 log10(||w||^2 / ||w - w_hat||^2)
};

using ComponentReport = package::ComponentSummary;

struct QuantizeReport {
    Plan plan;
    std::vector<TensorReport> tensors;
    std::vector<ComponentReport> components;
    int64_t params = 0, bytes_before = 0, bytes_after = 0;
    uint64_t package_bytes = 0;  // all files of the package directory on disk
    std::string source_hash;
    double seconds = 0.0;
};

struct QuantizeOptions {
    uint64_t max_shard_bytes = 2'000'000'000ull;
    bool progress = true;
    const calib::CalibrationStats* stats = nullptr;  // for data-aware rounding algorithms
    ordered_json extra_manifest;                      // merged into manifest.json (e.g. calibration provenance)
    bool force = false;  // replace whatever directory is at `out` (default: only a package, or an empty one)
};

QuantizeReport quantize_checkpoint(const io::Checkpoint& ckpt, const QuantConfig& config,
                                   const std::filesystem::path& out, const Compute& compute,
                                   const QuantizeOptions& options = {});

// "xxh3-128:<hex>": XXH3-128 over config.json, every safetensors header and, in name order, each tensor's
// content hash (tensor_content_hash; taken from `tensor_hashes` when already computed).
std::string checkpoint_hash(const io::Checkpoint& ckpt, const std::map<std::string, uint64_t>& tensor_hashes = {});

std::vector<TensorMeta> checkpoint_tensors(const io::Checkpoint& ckpt);

}  // namespace vlmq::quant
