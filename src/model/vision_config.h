#pragma once
// FastViT vision-tower hyper-parameters (FastViTHD / "mobileclip_l_<size>" and scaled-down variants),
// and the table of tensors such a tower stores (names after the checkpoint prefix, shapes).
#include <cstdint>
#include <string>
#include <vector>

#include "core/json_util.h"

namespace vlmq::model {

enum class TokenMixer { RepMixer, Attention };

struct VisionConfig {
    int image_size = 1024;
    std::vector<int> layers{2, 12, 24, 4, 2};
    std::vector<int> embed_dims{96, 192, 384, 768, 1536};
    std::vector<double> mlp_ratios{4, 4, 4, 4, 4};
    std::vector<TokenMixer> token_mixers{TokenMixer::RepMixer, TokenMixer::RepMixer, TokenMixer::RepMixer,
                                         TokenMixer::Attention, TokenMixer::Attention};
    std::vector<bool> repcpe{false, false, false, true, true};  // pos_embs[i] == "repcpe"
    int repmixer_kernel_size = 3;
    int down_patch_size = 7;
    double cls_ratio = 2.0;
    int projection_dim = 768;  // head.proj width; the head is not run
    int attention_head_dim = 32;

    // Fixed by the architecture (not in any config).
    static constexpr int kStemKernel = 3;
    static constexpr int kConvFFNKernel = 7;
    static constexpr int kRepCPEKernel = 7;
    static constexpr double kSERatio = 0.0625;
    static constexpr float kNormEps = 1e-5f;  // BatchNorm and LayerNormChannel

    // FastViTHD at 1024 px (what the released FastVLM checkpoints use).
    static VisionConfig fastvithd() { return {}; }
    // From a FastVLM config.json: its `vision_tower_config` object when present, else FastViTHD with the
    // image size of `mm_vision_tower` ("mobileclip_l_<size>"). Fails naming `where` and the field.
    static VisionConfig from_model_config(const json& config, const std::string& where = "config.json");
    // Checks every field; fails with "<where>: vision_tower_config.<field> ...".
    void validate(const std::string& where) const;
    // The inverse of from_model_config: the `vision_tower_config` object (every field, config.json spelling).
    ordered_json to_json() const;
    // The `mm_vision_tower` value naming a FastViTHD tower of this image size ("mobileclip_l_<size>").
    std::string tower_name() const;

    int stages() const { return int(layers.size()); }
    int mlp_hidden(int stage) const;
    int out_channels() const;  // conv_exp width = embed_dims.back() * cls_ratio
    int se_channels() const;   // SE bottleneck = int(out_channels * 0.0625)
    int stem_size() const;     // side after the stem (two stride-2 convs)
    int stage_size(int stage) const;
    int grid() const { return stage_size(stages() - 1); }
    int tokens() const { return grid() * grid(); }
    // Multiply-accumulates of one forward pass (convs, matrix products, attention).
    double macs() const;
};

// The tower's `network` list: for each stage i, [PatchEmbed if i > 0], [RepCPE if pos_embs[i]], the stage's
// blocks. `index` is the checkpoint index (network.{index}).
struct NetworkEntry {
    enum class Kind { PatchEmbed, RepCPE, Blocks };
    Kind kind;
    int stage;
    int index;
};
std::vector<NetworkEntry> network_layout(const VisionConfig& cfg);

// One stored tensor of the tower; name without arch::fastvlm::kVisionPrefix.
struct VisionTensor {
    std::string name;
    std::vector<int64_t> shape;
    bool counter = false;  // an int64 BatchNorm num_batches_tracked scalar
};

// Every tensor the tower reads, in network order. With `all_stored`, also those a released checkpoint holds
// that the forward pass skips: each BatchNorm's num_batches_tracked (after its running_var) and head.proj (last).
std::vector<VisionTensor> vision_tensors(const VisionConfig& cfg, bool all_stored = false);

}  // namespace vlmq::model
