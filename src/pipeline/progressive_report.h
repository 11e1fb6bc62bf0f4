#pragma once
// The progressive run's report, one struct rendered three ways: report.json (machine), report.md (human) and
// report.svg (size vs accuracy at each step, baseline line, retention budget, size target), with the ADR's
// success criteria marked.
#include <filesystem>
#include <string>

#include "core/json_util.h"
#include "core/output_guard.h"
#include "pipeline/progressive.h"

namespace vlmq::pipeline {

struct ReportContext {
    std::string model;                        // source checkpoint name
    int64_t source_bytes = 0;                 // tensor bytes before quantization
    int64_t target_size_bytes = quant::kAdrTargetSizeBytes;
    double min_retention = 0.95;
    int64_t calibration_samples = 0;
    int64_t validation_samples = 0;
    std::string calibration_data, validation_data;
    std::string activations = "fp32";  // numerics of the validation runs (activations_name)
};

struct ProgressiveReport {
    ReportContext context;
    ProgressiveResult result;
    uint64_t package_bytes = 0;  // the final package on disk (0 while it is being written)

    bool size_passes() const { return int64_t(package_bytes) < context.target_size_bytes; }
    ordered_json to_json() const;
    std::string markdown() const;
    std::string svg() const;
};

// Writes report.json, report.md and report.svg into dir.
// A report.json vlmq wrote (--report): a JSON object with the report's sections, laid out as json_dump does.
OutputKind report_output_kind();

void write_progressive_report(const std::filesystem::path& dir, const ProgressiveReport& report);

}  // namespace vlmq::pipeline
