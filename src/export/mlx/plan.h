#pragma once
// The MLX export decision for every source tensor (docs/mlx.md §3): a pure function of names, shapes,
// vlmq formats and options, so the whole mapping can be printed and tested without touching data.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "export/mlx/names.h"
#include "package/source.h"
#include "qformat/format.h"

namespace vlmq::exporters::mlx {

// One tensor of the source (checkpoint or .vlmq package).
using SourceTensor = package::SourceTensor;  // checkpoints: keep, in the float format of the source dtype

enum class Action {
    Passthrough,  // vlmq codes re-encoded as MLX affine, bit-exact (groups split / codes widened as needed)
    Requantize,   // dequantized and re-quantized with MLX's affine RTN at the export group size
    Float,        // stored as a float tensor (float_dtype)
    Drop,         // not part of the MLX model
};
std::string_view action_name(Action a);

struct ExportPlanEntry {
    SourceTensor source;
    std::optional<MlxName> target;  // empty for Drop
    Action action = Action::Drop;
    int bits = 0, group_size = 0;   // Passthrough / Requantize
    std::vector<int64_t> shape;     // MLX shape of the (dequantized) tensor
    std::string reason;

    int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
    int64_t cols() const;  // product of the remaining MLX dims
    // Tensors written for this entry: "<name>" (and "<module>.scales", "<module>.biases" when quantized).
    int64_t stored_bytes(DType float_dtype) const;
};

struct PlanOptions {
    Target target = Target::MlxVlm;
    int group_size = 64;  // for Requantize; 32, 64 or 128
};

struct QuantFormat {
    int group_size = 0, bits = 0;
    friend auto operator<=>(const QuantFormat&, const QuantFormat&) = default;
};

struct ExportPlan {
    std::vector<ExportPlanEntry> entries;  // in source-name order
    // The (group_size, bits) covering the most quantized parameters (ties: more layers, then more bits);
    // nullopt when nothing is quantized.
    std::optional<QuantFormat> dominant;
};

// Fails (vlmq::Error naming the tensor) for names outside the FastVLM tree and for an unsupported
// group size.
ExportPlan make_export_plan(const std::vector<SourceTensor>& tensors, const PlanOptions& options);

}  // namespace vlmq::exporters::mlx
