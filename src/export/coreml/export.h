#pragma once
// `vlmq export coreml`: the vision tower of a FastVLM checkpoint or .vlmq package as a Core ML ML Program
// package (docs/coreml.md), and the check that runs the exported program against the engine.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/json_util.h"
#include "package/package_verify.h"
#include "export/coreml/fastvit_program.h"

namespace vlmq::exporters::coreml {

struct ExportOptions {
    std::filesystem::path model;  // checkpoint directory or .vlmq package
    std::filesystem::path out;    // NAME.mlpackage
    Target target = Target::iOS18;
    FloatStorage float_storage = FloatStorage::F16;
    package::VerifyOptions verify;  // of a package source
    bool force = false;  // replace whatever directory is at `out` (never an input)
};

struct StorageTotals {
    int64_t tensors = 0, blob_bytes = 0;
};

struct ExportReport {
    std::filesystem::path out;
    Target target = Target::iOS18;
    int image_size = 0, tokens = 0, channels = 0;
    int64_t operations = 0;
    uint64_t model_bytes = 0, weight_bin_bytes = 0, blobs = 0;
    std::vector<WeightRecord> weights;
    std::map<std::string, StorageTotals> by_storage;  // StoragePlan::describe() -> totals
    std::map<std::string, StorageTotals> by_format;   // source format -> totals

    ordered_json to_json() const;
};

ExportReport export_coreml(const ExportOptions& opt);

// The tower's configuration from a checkpoint's or package's config.json; fails (one line) when the config
// names no vision tower.
model::VisionConfig vision_config_of(const package::WeightSource& ws);

}  // namespace vlmq::exporters::coreml
