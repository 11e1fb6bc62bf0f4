#include "export/mlx/names.h"

#include <regex>

#include "core/error.h"
#include "package/weights.h"

namespace vlmq::exporters::mlx {

namespace {

constexpr std::string_view kVisionPrefix = "model.vision_tower.vision_tower.model.";

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Splits "a.b.c" into module "a.b" and parameter "c".
MlxName split(std::string name, ModuleKind kind) {
    MlxName n;
    const size_t dot = name.rfind('.');
    n.module = dot == std::string::npos ? std::string() : name.substr(0, dot);
    n.param = dot == std::string::npos ? name : name.substr(dot + 1);
    n.name = std::move(name);
    n.kind = kind;
    return n;
}

// Module kinds inside FastViTHD (mlx_vlm/models/fastvlm/vision.py).
ModuleKind vision_kind(std::string_view module, std::string_view param) {
    if (starts_with(param, "layer_scale")) return ModuleKind::LayerScale;
    for (std::string_view conv : {".reparam_conv", ".lkb_reparam", ".conv.conv", ".fc1", ".fc2", ".se.reduce", ".se.expand"})
        if (ends_with(module, conv)) return ModuleKind::Conv2d;
    if (ends_with(module, ".token_mixer.qkv") || ends_with(module, ".token_mixer.proj")) return ModuleKind::Linear;
    return ModuleKind::Other;
}

std::optional<MlxName> vision_name(const std::string& src, Target target, std::string* why) {
    if (target == Target::AppleLlmOnly) {
        if (why) *why = "vision tower (ships as Core ML in the LLM-only split)";
        return std::nullopt;
    }
    std::string rest = src.substr(kVisionPrefix.size());
    if (!(starts_with(rest, "patch_embed.") || starts_with(rest, "network.") || starts_with(rest, "conv_exp.") ||
          rest == "head.proj"))
        fail("tensor '{}' is not part of the FastViTHD module tree", src);
    if (starts_with(rest, "patch_embed.")) rest = "patch_embed.blocks." + rest.substr(12);
    MlxName n = split("vision_tower.vision_model." + rest, ModuleKind::Other);
    n.kind = vision_kind(n.module, n.param);
    return n;
}

}  // namespace

bool is_vision_tensor(const std::string& src) { return starts_with(src, kVisionPrefix); }

std::optional<MlxName> mlx_name_for(const std::string& src, Target target, std::string* why) {
    if (ends_with(src, ".num_batches_tracked")) {
        if (why) *why = "BatchNorm counter (mlx-vlm drops it)";
        return std::nullopt;
    }
    if (is_vision_tensor(src)) return vision_name(src, target, why);

    static const std::regex projector(R"(^model\.mm_projector\.([02])\.(weight|bias)$)");
    static const std::regex layer(
        R"(^model\.layers\.\d+\.(self_attn\.[qkvo]_proj\.(weight|bias)|mlp\.(gate|up|down)_proj\.weight|(input|post_attention)_layernorm\.weight)$)");
    std::smatch m;
    if (std::regex_match(src, m, projector)) {
        const std::string base = target == Target::MlxVlm ? "mm_projector." + m[1].str() : "multi_modal_projector.linear_" + m[1].str();
        return split(base + "." + m[2].str(), ModuleKind::Linear);
    }
    if (ends_with(src, ".self_attn.rotary_emb.inv_freq")) {
        if (why) *why = "rotary frequencies (recomputed by MLX)";
        return std::nullopt;
    }
    if (std::regex_match(src, layer))
        return split("language_model." + src, ends_with(src, "layernorm.weight") ? ModuleKind::Other : ModuleKind::Linear);
    if (src == "model.embed_tokens.weight") return split("language_model." + src, ModuleKind::Embedding);
    if (src == "model.norm.weight") return split("language_model." + src, ModuleKind::Other);
    if (src == "lm_head.weight") return split("language_model.lm_head.weight", ModuleKind::Linear);
    fail("tensor '{}' is not part of the FastVLM (LLaVA-Qwen2) module tree", src);
}

std::vector<int64_t> mlx_shape_for(const MlxName& n, const std::vector<int64_t>& s) {
    if (n.kind == ModuleKind::Conv2d && n.param == "weight") {
        if (s.size() != 4) fail("tensor '{}': a conv weight must be 4-D [O,I,kh,kw], got {}", n.name, shape_str(s));
        return {s[0], s[2], s[3], s[1]};
    }
    if (n.kind == ModuleKind::LayerScale) {
        if (s.size() != 3 || s[1] != 1 || s[2] != 1)
            fail("tensor '{}': a layer scale must be [C,1,1], got {}", n.name, shape_str(s));
        return {1, 1, s[0]};
    }
    return s;
}

}  // namespace vlmq::exporters::mlx
