#pragma once
// `vlmq quantize` as one sequence (docs/quantize.md §5): calibrate → [baseline → the progressive loop] → fit to a
// size budget → write the package. Without validation data the loop is skipped and the size fit runs on the
// config alone; with it, every step is validated and the report goes into the package.
#include <filesystem>
#include <optional>

#include "core/compute.h"
#include "eval/dataset.h"
#include "pipeline/progressive_report.h"
#include "pipeline/run_timings.h"
#include "quant/quant_config.h"
#include "quant/quantizer.h"

namespace vlmq::pipeline {

struct QuantizeRequest {
    std::filesystem::path model, out;
    quant::QuantConfig config;
    std::optional<eval::DatasetSpec> calib;  // calibration data for a calibration pass
    std::filesystem::path stats_file;        // or statistics from `vlmq calibrate`
    std::optional<eval::DatasetSpec> val;    // validation data: progressive quantization
    std::optional<int> calib_samples;        // default: config.calibration_samples
    std::optional<int> val_samples;          // default: config.validation.samples
    uint64_t seed = 0;
    int64_t target_size_bytes = quant::kAdrTargetSizeBytes;  // reported as the size criterion
    bool fit_to_target = false;  // --target-size: lower precisions until the package tensors fit
    std::filesystem::path report_copy;  // also write report.json here (--report)
    bool force = false;  // replace whatever is at `out` / `report_copy` (default: only what vlmq wrote there)
    bool progress = true;
    uint64_t max_shard_bytes = 2'000'000'000ull;
    bool early_stop = true;  // stop validating a candidate once it cannot pass (decisions unchanged)
    uint64_t feature_cache_bytes = 1ull << 30;  // image features kept in memory; the rest spill to scratch
    RunTimings* timings = nullptr;  // phase times (bench/bench_pipeline); null: none taken
};

struct QuantizeOutcome {
    quant::QuantizeReport package;                // how the final package was written
    std::optional<ProgressiveReport> progressive;  // with validation data
    uint64_t package_bytes = 0;                   // every file of the package on disk
};

QuantizeOutcome quantize(const QuantizeRequest& request, const Compute& c);

}  // namespace vlmq::pipeline
