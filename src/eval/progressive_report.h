#pragma once
// The progressive run's report: report.json (machine), report.md (human) and report.svg (size vs accuracy
// at each step, baseline line, retention budget, size target), with the ADR's success criteria marked.
#include <filesystem>
#include <optional>
#include <string>

#include "core/json_util.h"
#include "eval/progressive.h"

namespace vlmq::eval {

struct ReportContext {
    std::string model;                 // source checkpoint name
    int64_t source_bytes = 0;          // tensor bytes before quantization
    int64_t target_size_bytes = 500'000'000;  // ADR: packages < 500 MB
    double min_retention = 0.95;
    int64_t calibration_samples = 0;
    int64_t validation_samples = 0;
    std::string calibration_data, validation_data;
};

ordered_json progressive_report_json(const ProgressiveResult& r, const ReportContext& ctx, int64_t final_package_bytes);
std::string progressive_report_markdown(const ordered_json& report);
std::string progressive_report_svg(const ordered_json& report);

// Writes report.json, report.md and report.svg into dir.
void write_progressive_report(const std::filesystem::path& dir, const ordered_json& report);

}  // namespace vlmq::eval
