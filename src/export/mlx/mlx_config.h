#pragma once
// config.json of an MLX export (docs/mlx.md §4): the source config with mlx-vlm's conventions applied
// (keys sorted, torch_dtype dropped, tie_word_embeddings matching the weights) and the MLX
// "quantization" block: the dominant {"group_size", "bits"} plus one entry per Linear/Embedding that
// differs ({"group_size", "bits"}, or false when it stays float; also any quantized layer whose weight
// size is not a multiple of 64, which mlx-vlm skips by default), copied under "quantization_config".
#include <string>
#include <vector>

#include "core/json_util.h"
#include "export/mlx/plan.h"

namespace vlmq::exporters::mlx {

struct MlxConfig {
    ordered_json config;
    ordered_json quantization;  // null when nothing is quantized
    int64_t per_layer_entries = 0;
    std::vector<std::string> warnings;  // things a loader may trip over (see docs/mlx.md §6)
};

MlxConfig make_mlx_config(const json& source_config, const ExportPlan& plan, Target target);

}  // namespace vlmq::exporters::mlx
