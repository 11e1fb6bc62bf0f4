#include "export/mlx/names.h"

#include "core/pattern.h"

#include "arch/arch_table.h"
#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "package/weights.h"

namespace vlmq::exporters::mlx {

namespace {

using namespace arch::fastvlm;

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
    if (param.starts_with(kLayerScale)) return ModuleKind::LayerScale;
    // kReparamConv also covers kPatchEmbedProj and kMixerConv, which end in it.
    for (std::string_view conv : {kReparamConv, kPatchEmbedDown, kFfnConv, kFfnFc1, kFfnFc2, kSeReduce, kSeExpand})
        if (module.ends_with("." + std::string(conv))) return ModuleKind::Conv2d;
    if (module.ends_with("." + std::string(kAttnQkv)) || module.ends_with("." + std::string(kAttnProj)))
        return ModuleKind::Linear;
    return ModuleKind::Other;
}

std::optional<MlxName> mlx_vision_name(const std::string& src, Target target, std::string* why) {
    if (target == Target::AppleLlmOnly) {
        if (why) *why = "vision tower (ships as Core ML in the LLM-only split)";
        return std::nullopt;
    }
    std::string rest = src.substr(std::string_view(kVisionPrefix).size());
    const bool stem = rest.starts_with(kStem);
    if (!(stem || rest.starts_with(kNetwork) || rest.starts_with(kConvExp) || rest == vision_head_proj()))
        fail("tensor '{}' is not part of the FastViTHD module tree", src);
    if (stem) rest = std::string(kStem) + "blocks." + rest.substr(std::string_view(kStem).size());
    MlxName n = split("vision_tower.vision_model." + rest, ModuleKind::Other);
    n.kind = vision_kind(n.module, n.param);
    return n;
}

}  // namespace

bool is_vision_tensor(const std::string& src) { return src.starts_with(kVisionPrefix); }

std::optional<MlxName> mlx_name_for(const std::string& src, Target target, std::string* why) {
    if (src.ends_with(kBnCounter)) {
        if (why) *why = "BatchNorm counter (mlx-vlm drops it)";
        return std::nullopt;
    }
    if (is_vision_tensor(src)) return mlx_vision_name(src, target, why);

    using arch::regex_any_of, arch::regex_literal;
    static const Pattern projector_re("^" + regex_literal(kProjector) + "(" + std::to_string(kProjectorFc1) + "|" +
                                         std::to_string(kProjectorFc2) + ")\\.(weight|bias)$", "MLX names");
    static const Pattern layer_re("^" + regex_literal(kLayers) + "\\d+\\.(?:" +
                                     regex_any_of({kAttnQ, kAttnK, kAttnV, kAttnO}) + "\\.(?:weight|bias)|" +
                                     regex_any_of({kMlpGate, kMlpUp, kMlpDown, kInputNorm, kPostAttnNorm}) +
                                     "\\.weight)$", "MLX names");
    if (projector_re.full_match(src)) {
        const auto m = projector_re.search_groups(src);
        const std::string base = target == Target::MlxVlm ? "mm_projector." + m[1] : "multi_modal_projector.linear_" + m[1];
        return split(base + "." + m[2], ModuleKind::Linear);
    }
    if (src.ends_with(".self_attn.rotary_emb.inv_freq")) {
        if (why) *why = "rotary frequencies (recomputed by MLX)";
        return std::nullopt;
    }
    if (layer_re.full_match(src))
        return split("language_model." + src, src.ends_with("layernorm.weight") ? ModuleKind::Other : ModuleKind::Linear);
    if (src == weight(kEmbedTokens)) return split("language_model." + src, ModuleKind::Embedding);
    if (src == weight(kFinalNorm)) return split("language_model." + src, ModuleKind::Other);
    if (src == weight(kLmHead)) return split("language_model." + src, ModuleKind::Linear);
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
