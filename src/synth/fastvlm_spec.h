#pragma once
// The FastVLM family as the model's own configs (model::VisionConfig, model::Qwen2Config) and the exact
// checkpoint tensor list they imply (fastvlm-architecture.md §3), used by `vlmq synth` to write full-size
// random checkpoints.
#include <string>
#include <vector>

#include "core/json_util.h"
#include "io/safetensors.h"
#include "model/qwen2_config.h"
#include "model/vision_config.h"

namespace vlmq::synth {

struct FastVlmSpec {
    std::string preset;
    model::VisionConfig vision;  // FastViTHD at 1024 px unless the preset scales it down
    model::Qwen2Config llm;      // the 0.5B decoder unless the preset says otherwise
    bool explicit_vision_config = false;  // write vision_tower_config into config.json (non-FastViTHD towers)
    int tokenizer_size = 151646;          // ids 0 .. tokenizer_size-1 exist in the tokenizer

    static FastVlmSpec preset_named(const std::string& name);  // fastvlm-0.5b | fastvlm-1.5b | fastvlm-7b | tiny
    static std::vector<std::string> preset_names();
};

// Every tensor of the checkpoint, in the reference module order.
std::vector<io::TensorDecl> fastvlm_tensors(const FastVlmSpec& spec);
// config.json for the checkpoint (keys as in the released FastVLM checkpoints).
ordered_json fastvlm_config(const FastVlmSpec& spec);

}  // namespace vlmq::synth
