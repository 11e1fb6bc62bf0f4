#pragma once
// `vlmq quantize --calib DATA --val DATA`: calibration pass, unquantized baseline on the validation set,
// the progressive loop (eval/progressive.h) evaluating each candidate package with the CPU engine, then the
// final package with report.json / report.md / report.svg inside it.
#include <filesystem>
#include <optional>
#include <string>

#include "eval/dataset.h"
#include "eval/progressive.h"
#include "core/compute.h"
#include "quant/quant_config.h"

namespace vlmq::pipeline {

struct ProgressiveRequest {
    std::filesystem::path model, out;
    quant::QuantConfig config;
    eval::DatasetSpec calib, val;
    bool have_calib = false;
    std::filesystem::path stats_file;     // reuse statistics from `vlmq calibrate` instead of a calibration pass
    std::optional<int> calib_samples;     // default: config.calibration_samples
    std::optional<int> val_samples;       // default: config.validation.samples
    uint64_t seed = 0;
    int64_t target_size_bytes = 500'000'000;  // the ADR's size criterion
    bool allocate_to_target = false;          // --target-size: lower precisions after the loop until it fits
    std::filesystem::path report_copy;    // also write report.json here (--report)
    bool progress = true;
    uint64_t max_shard_bytes = 2'000'000'000ull;
};

struct ProgressiveOutcome {
    eval::ProgressiveResult result;
    ordered_json report;
    uint64_t package_bytes = 0;
};

ProgressiveOutcome progressive_quantize(const ProgressiveRequest& request, const Compute& c);

}  // namespace vlmq::pipeline
