#include "model/fastvlm_arch.h"

namespace vlmq::model {

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
    return t;
}

}  // namespace vlmq::model
