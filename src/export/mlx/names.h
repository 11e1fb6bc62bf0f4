#pragma once
// Where each FastVLM checkpoint tensor lands in an MLX model directory (docs/mlx.md §2): the parameter
// path in the mlx-vlm FastVLM module tree (the "sanitized" names mlx_vlm.convert saves), or in Apple's
// patched mlx-vlm for the LLM-only split, plus the layout change the MLX module expects.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vlmq::exporters::mlx {

enum class Target {
    MlxVlm,        // mlx-vlm's native FastVLM: vision_tower.vision_model.*, mm_projector.*, language_model.*
    AppleLlmOnly,  // ml-fastvlm's patched mlx-vlm (--only-llm): multi_modal_projector.linear_{0,2}, language_model.*
};

// The kind of MLX module owning a parameter; it decides layout and whether MLX can quantize it.
enum class ModuleKind {
    Linear,      // nn.Linear: weight [out, in] (+ bias); quantizable
    Embedding,   // nn.Embedding: weight [vocab, dim]; quantizable
    Conv2d,      // nn.Conv2d: weight OHWI (PyTorch OIHW transposed); never quantized
    LayerScale,  // FastViT layer_scale*: [1, 1, C] (PyTorch [C, 1, 1])
    Other,       // norms, BatchNorm statistics, GlobalPool2D.proj: shape unchanged
};

struct MlxName {
    std::string name;    // parameter path, e.g. "language_model.model.layers.0.mlp.up_proj.weight"
    std::string module;  // owning module path, e.g. "language_model.model.layers.0.mlp.up_proj"
    std::string param;   // "weight", "bias", "running_mean", "proj", ...
    ModuleKind kind = ModuleKind::Other;

    // True for the weight of a Linear/Embedding: the only tensors MLX's nn.quantize can quantize.
    bool quantizable() const { return (kind == ModuleKind::Linear || kind == ModuleKind::Embedding) && param == "weight"; }
};

// The MLX name of checkpoint tensor `src` (FastVLM / LLaVA-Qwen2 names, docs/fastvlm-architecture §3),
// or std::nullopt when the tensor is not exported (BatchNorm counters; the vision tower for
// AppleLlmOnly), with the reason in *why. Fails (vlmq::Error) for a name outside the FastVLM tree.
std::optional<MlxName> mlx_name_for(const std::string& src, Target target, std::string* why = nullptr);

// The MLX shape of a tensor: Conv2d [O,I,kh,kw] -> [O,kh,kw,I], LayerScale [C,1,1] -> [1,1,C], others as
// they are. Fails naming the tensor when a Conv2d/LayerScale tensor has an unexpected rank.
std::vector<int64_t> mlx_shape_for(const MlxName& n, const std::vector<int64_t>& src_shape);

// True when the source name belongs to the vision tower.
bool is_vision_tensor(const std::string& src);

}  // namespace vlmq::exporters::mlx
