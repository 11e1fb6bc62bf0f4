#pragma once
// A FastVLM config.json as one validated whole: the vision tower, the projector and the Qwen2 decoder, with the
// dimensions that join them. Every command that opens a model reads it through check_model (fastvlm_tensors.h)
// before any work, so a config the engine would compute differently from its reference is rejected up front,
// naming the field.
#include <cstdint>
#include <string>

#include "core/json_util.h"
#include "model/qwen2_config.h"
#include "model/vision_config.h"

namespace vlmq::model {

// FastVLM's `mlp2x_gelu` projector: mm_hidden_size -> hidden_size -> hidden_size.
struct ProjectorConfig {
    int64_t in_dim = 0;   // config mm_hidden_size
    int64_t out_dim = 0;  // config hidden_size

    // Fails naming `where` and the field (mm_projector_type must be "mlp2x_gelu" when given).
    static ProjectorConfig from_json(const json& config, const std::string& where);
};

struct FastVlmConfig {
    VisionConfig vision;
    ProjectorConfig projector;
    Qwen2Config llm;

    // Each part's from_json plus what joins them: mm_hidden_size equals the tower's output channels, and the
    // LLaVA preprocessing keys hold the only values the engine implements (image_aspect_ratio "pad",
    // mm_patch_merge_type "flat", mm_use_im_start_end false). Fails naming `where` and the field.
    static FastVlmConfig from_json(const json& config, const std::string& where);
};

}  // namespace vlmq::model
