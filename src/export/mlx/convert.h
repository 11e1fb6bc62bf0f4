#pragma once
// Converts one source tensor into its MLX tensors (docs/mlx.md §3) and writes them.
#include <vector>

#include "export/mlx/plan.h"
#include "io/safetensors.h"
#include "core/compute.h"
#include "package/weights.h"

namespace vlmq::exporters::mlx {

// The safetensors tensors written for `e`: "<name>" as float_dtype, or for a quantized layer
// "<module>.weight" U32 [rows, cols*bits/32], "<module>.scales" and "<module>.biases" F16 [rows, cols/group].
std::vector<io::TensorDecl> mlx_tensor_decls(const ExportPlanEntry& e, DType float_dtype);

// Writes e's tensors from the source weight `w` and returns max |MLX value - source value| over the
// tensor (source values: vlmq's dequantization). A Passthrough whose bias would overflow fp16 is
// re-quantized instead and `e` is updated to say so.
double convert_tensor(const Compute& c, const package::Weight& w, ExportPlanEntry& e, DType float_dtype,
                      io::SafetensorsWriter& out);

}  // namespace vlmq::exporters::mlx
