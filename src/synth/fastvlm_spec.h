#pragma once
// Dimensions of the FastVLM family and the exact checkpoint tensor list they imply
// (fastvlm-architecture.md §3), used by `vlmq synth` to write full-size random checkpoints.
#include <string>
#include <vector>

#include "core/json_util.h"
#include "io/safetensors.h"

namespace vlmq::synth {

struct FastVlmSpec {
    std::string preset;
    // Vision tower (FastViT family).
    int image_size = 1024;
    std::vector<int> layers{2, 12, 24, 4, 2};
    std::vector<int> widths{96, 192, 384, 768, 1536};
    std::vector<bool> attention{false, false, false, true, true};  // token mixer per stage
    std::vector<bool> repcpe{false, false, false, true, true};     // positional embedding per stage
    int mlp_ratio = 4;
    int projection_dim = 768;
    bool explicit_vision_config = false;  // write vision_tower_config into config.json (non-FastViTHD towers)
    // Qwen2 decoder.
    int hidden = 896, n_layers = 24, n_heads = 14, n_kv_heads = 2, intermediate = 4864;
    int vocab_rows = 151936;   // embedding rows
    int tokenizer_size = 151646;  // ids 0 .. tokenizer_size-1 exist in the tokenizer
    double rope_theta = 1e6;

    int vision_out_channels() const { return widths.back() * 2; }
    static FastVlmSpec preset_named(const std::string& name);  // fastvlm-0.5b | fastvlm-1.5b | fastvlm-7b | tiny
    static std::vector<std::string> preset_names();
};

// Every tensor of the checkpoint, in the reference module order.
std::vector<io::TensorDecl> fastvlm_tensors(const FastVlmSpec& spec);
// config.json for the checkpoint (keys as in the released FastVLM checkpoints).
ordered_json fastvlm_config(const FastVlmSpec& spec);

}  // namespace vlmq::synth
