#include "model/fastvlm_config.h"

#include "core/error.h"

namespace vlmq::model {

namespace {

constexpr const char* kProjectorType = "mlp2x_gelu";

// An optional key that, when present, must hold the one value the engine implements.
void require_value(const json& config, const std::string& key, const json& supported, const std::string& where) {
    auto it = config.find(key);
    if (it == config.end() || *it == supported) return;
    fail("{}: field '{}' is {}; only {} is supported", where, key, it->dump(), supported.dump());
}

}  // namespace

ProjectorConfig ProjectorConfig::from_json(const json& config, const std::string& where) {
    if (!config.is_object()) fail("{}: expected a JSON object", where);
    if (config.contains("mm_projector_type")) {
        const std::string type = json_string(config, "mm_projector_type", where);
        if (type != kProjectorType)
            fail("{}: field 'mm_projector_type' is '{}'; only '{}' is supported", where, type, kProjectorType);
    }
    ProjectorConfig p;
    p.in_dim = json_int(config, "mm_hidden_size", where);
    p.out_dim = json_int(config, "hidden_size", where);
    if (p.in_dim < 1 || p.in_dim > (1 << 20))
        fail("{}: field 'mm_hidden_size' is {}, expected 1..{}", where, p.in_dim, 1 << 20);
    if (p.out_dim < 1 || p.out_dim > (1 << 16))
        fail("{}: field 'hidden_size' is {}, expected 1..{}", where, p.out_dim, 1 << 16);
    return p;
}

FastVlmConfig FastVlmConfig::from_json(const json& config, const std::string& where) {
    if (!config.is_object()) fail("{}: expected a JSON object", where);
    FastVlmConfig c;
    c.vision = VisionConfig::from_model_config(config, where);
    c.projector = ProjectorConfig::from_json(config, where);
    c.llm = Qwen2Config::from_json(config, where);
    if (c.projector.in_dim != c.vision.out_channels())
        fail("{}: field 'mm_hidden_size' is {}, but the vision tower gives {} channels (embed_dims[-1] * cls_ratio)",
             where, c.projector.in_dim, c.vision.out_channels());
    require_value(config, "image_aspect_ratio", "pad", where);
    require_value(config, "mm_patch_merge_type", "flat", where);
    require_value(config, "mm_use_im_start_end", false, where);
    return c;
}

}  // namespace vlmq::model
