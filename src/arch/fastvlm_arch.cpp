#include "arch/fastvlm_arch.h"

namespace vlmq::arch {

ArchTable fastvlm_arch_table() {
    ArchTable t;
    t.name = "fastvlm";
    // The ADR's names: the token embeddings are its "text encoder", the projector its "fusion layers".
    t.components = {"vision_encoder", "text_encoder", "fusion_layers", "decoder"};
    t.rules = {
        {R"(^model\.vision_tower\.)", "vision_encoder"},
        {R"(^model\.embed_tokens\.)", "text_encoder"},
        {R"(^model\.mm_projector\.)", "fusion_layers"},
        {R"(^model\.layers\.)", "decoder"},
        {R"(^model\.norm\.)", "decoder"},
        {R"(^lm_head\.)", "decoder"},
    };
    t.keep_patterns = {
        R"(\.bias$)", R"(norm)", R"(\.bn\.)", R"(layer_scale)", R"(num_batches_tracked)",
    };
    t.unit_patterns = {
        R"(^(model\.layers\.\d+)\.)",
        R"(^(model\.vision_tower\.vision_tower\.model\.network\.\d+(?:\.\d+)?)\.)",
        R"(^(model\.vision_tower\.vision_tower\.model\.(?:patch_embed|conv_exp|head))\.?)",
        R"(^(model\.mm_projector\.\d+)\.)",
        R"(^(model\.embed_tokens)\.)",
        R"(^(lm_head)\.)",
    };
    using K = ScaleProducer::Kind;
    const std::string V = R"(^(model\.vision_tower\.vision_tower\.model\.network\.\d+\.\d+)\.)";
    t.scale_groups = {
        {R"(^(model\.layers\.\d+)\.self_attn\.[qkv]_proj\.weight$)", "$1.attn_input",
         {{"$1.input_layernorm.weight", K::Vector}}},
        {R"(^(model\.layers\.\d+)\.mlp\.(gate|up)_proj\.weight$)", "$1.mlp_input",
         {{"$1.post_attention_layernorm.weight", K::Vector}}},
        {R"(^(model\.layers\.\d+)\.mlp\.down_proj\.weight$)", "$1.down_input", {{"$1.mlp.up_proj.weight", K::Rows}}},
        {V + R"(token_mixer\.qkv\.weight$)", "$1.attn_input", {{"$1.norm.weight", K::Vector}, {"$1.norm.bias", K::Vector}}},
        {V + R"(token_mixer\.proj\.weight$)", "$1.attn_values", {{"$1.token_mixer.qkv.weight", K::Rows}}},
        {V + R"(convffn\.fc1\.weight$)", "$1.ffn_input",
         {{"$1.convffn.conv.bn.weight", K::Vector}, {"$1.convffn.conv.bn.bias", K::Vector}}},
    };
    return t;
}

}  // namespace vlmq::arch
