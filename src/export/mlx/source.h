#pragma once
// The input of an MLX export: a checkpoint directory or a .vlmq package, as a list of tensors with
// their component and current storage format, plus weight views.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/json_util.h"
#include "export/mlx/plan.h"
#include "package/weights.h"

namespace vlmq::exporters::mlx {

struct ExportSource {
    std::filesystem::path dir;
    json config;
    bool is_package = false;
    std::vector<std::string> components;  // the architecture's component names, in report order
    std::vector<SourceTensor> tensors;    // sorted by name
    std::unique_ptr<package::WeightSource> weights;
};

// Fails with "<path>: no such checkpoint directory or .vlmq package" when the path does not exist.
ExportSource open_export_source(const std::filesystem::path& path);

}  // namespace vlmq::exporters::mlx
