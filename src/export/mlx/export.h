#pragma once
// `vlmq export mlx`: a checkpoint or .vlmq package -> a directory that mlx-vlm's FastVLM loads
// (model.safetensors or shards + model.safetensors.index.json, config.json with the MLX "quantization"
// block, tokenizer files). Streams one tensor at a time; the directory appears only when complete;
// identical inputs give identical bytes. Mapping and formats: docs/mlx.md.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/json_util.h"
#include "package/package_verify.h"
#include "core/output_guard.h"
#include "export/mlx/plan.h"
#include "core/compute.h"

namespace vlmq::exporters::mlx {

struct ExportOptions {
    bool only_llm = false;                  // Apple's split: drop the vision tower (it ships as Core ML)
    int group_size = 64;                    // MLX group size for re-quantized layers: 32, 64 or 128
    DType float_dtype = DType::F16;         // non-quantized tensors: F16 (Apple's convention) or BF16
    uint64_t max_shard_bytes = 5ull << 30;  // mlx-lm / mlx-vlm's MAX_FILE_SIZE_GB = 5
    bool progress = true;
    package::VerifyOptions verify;  // of a package source
    bool force = false;  // replace whatever directory is at the output path (never an input)
};

struct TensorResult {
    const ExportPlanEntry* entry = nullptr;  // points into ExportReport::plan
    std::string file;                        // shard holding it ("" when dropped)
    int64_t bytes = 0;                       // stored bytes (weight + scales + biases)
    // max |MLX value - vlmq dequantized value| over the tensor (0 for exact mappings).
    double max_abs_diff = 0.0;
};

struct ComponentExport {
    std::string name;
    int64_t tensors = 0, passthrough = 0, requantized = 0, floats = 0, dropped = 0;
    int64_t bytes = 0;  // tensor bytes in the MLX directory
    double max_abs_diff_requantized = 0.0, max_abs_diff_float = 0.0, max_abs_diff_passthrough = 0.0;
};

struct ExportReport {
    std::string source, out;
    Target target = Target::MlxVlm;
    ExportPlan plan;  // entries' actions reflect what was done (a passthrough whose bias overflowed fp16 is re-quantized)
    std::vector<TensorResult> tensors;         // parallel to plan.entries
    std::vector<ComponentExport> components;   // in the architecture's order, then "other"
    ordered_json quantization;                 // the config.json "quantization" block (null when nothing is quantized)
    int64_t per_layer_entries = 0;             // layers listed in "quantization" besides the defaults
    std::vector<std::string> files;            // all files written, sorted
    std::vector<std::string> warnings;
    int64_t tensor_bytes = 0;
    uint64_t dir_bytes = 0;                    // every file in the output directory
};

// An MLX model directory written by vlmq: recognised by its kOutputMarker.
OutputKind mlx_output_kind();

// `source`: checkpoint directory or .vlmq package. An existing `out` is replaced only when it is an MLX export
// vlmq wrote (or empty), or with options.force. Fails (vlmq::Error) on a missing source, a source
// without the parts the target needs (vision tower, projector, language model), bad options; leaves no
// output on failure.
ExportReport export_mlx(const std::filesystem::path& source, const std::filesystem::path& out,
                        const ExportOptions& options, const Compute& compute);

std::string format_export_report(const ExportReport& r, bool list_tensors);
ordered_json export_report_json(const ExportReport& r, bool with_tensors);

}  // namespace vlmq::exporters::mlx
