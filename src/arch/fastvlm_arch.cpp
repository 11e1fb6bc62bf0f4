#include "arch/fastvlm_arch.h"

#include "arch/fastvlm_names.h"

namespace vlmq::arch {

namespace {

using namespace fastvlm;

// `^<literal path>`: the start of every tensor under a module path.
std::string under(std::string_view path) { return std::string("^").append(regex_literal(path)); }

// A container path as a module name: "conv_exp." -> "conv_exp".
std::string_view module_of(std::string_view container) { return container.substr(0, container.size() - 1); }

}  // namespace

ArchTable fastvlm_arch_table() {
    ArchTable t;
    t.name = "fastvlm";
    // The ADR's names: the token embeddings are its "text encoder", the projector its "fusion layers".
    t.components = {"vision_encoder", "text_encoder", "fusion_layers", "decoder"};
    t.rules = {
        {under(kVisionTower), "vision_encoder"},
        {under(kEmbedTokens) + "\\.", "text_encoder"},
        {under(kProjector), "fusion_layers"},
        {under(kLayers), "decoder"},
        {under(kFinalNorm) + "\\.", "decoder"},
        {under(kLmHead) + "\\.", "decoder"},
    };
    // Biases, every norm (RMSNorm, LayerNormChannel, BatchNorm statistics and counters) and layer scales.
    t.keep_patterns = {
        regex_literal(kBias) + "$", "norm", R"(\.bn\.)", regex_literal(kLayerScale), regex_literal(kBnCounter),
    };
    const std::string layer_unit = "(" + regex_literal(kLayers) + "\\d+)\\.";  // $1 = "model.layers.{i}"
    const std::string vision = regex_literal(kVisionPrefix);
    t.unit_patterns = {
        "^" + layer_unit,
        "^(" + vision + regex_literal(kNetwork) + "\\d+(?:\\.\\d+)?)\\.",  // a network entry or one stage block
        "^(" + vision + regex_any_of({module_of(kStem), module_of(kConvExp), module_of(kHead)}) + ")\\.?",
        "^(" + regex_literal(kProjector) + "\\d+)\\.",
        "^(" + regex_literal(kEmbedTokens) + ")\\.",
        "^(" + regex_literal(kLmHead) + ")\\.",
    };
    using K = ScaleProducer::Kind;
    const std::string block = "^(" + vision + regex_literal(kNetwork) + "\\d+\\.\\d+)\\.";  // $1 = a stage block
    const std::string ffn = std::string("$1.") + kConvFfn + kFfnBatchNorm;
    t.scale_groups = {
        {"^" + layer_unit + regex_any_of({kAttnQ, kAttnK, kAttnV}) + regex_literal(kWeight) + "$", "$1.attn_input",
         {{"$1." + weight(kInputNorm), K::Vector}}},
        {"^" + layer_unit + regex_any_of({kMlpGate, kMlpUp}) + regex_literal(kWeight) + "$", "$1.mlp_input",
         {{"$1." + weight(kPostAttnNorm), K::Vector}}},
        {"^" + layer_unit + regex_literal(weight(kMlpDown)) + "$", "$1.down_input", {{"$1." + weight(kMlpUp), K::Rows}}},
        {block + regex_literal(weight(kAttnQkv)) + "$", "$1.attn_input",
         {{"$1." + weight(kAttnNorm), K::Vector}, {"$1." + bias(kAttnNorm), K::Vector}}},
        {block + regex_literal(weight(kAttnProj)) + "$", "$1.attn_values", {{"$1." + weight(kAttnQkv), K::Rows}}},
        {block + regex_literal(weight(std::string(kConvFfn) + kFfnFc1)) + "$", "$1.ffn_input",
         {{weight(ffn), K::Vector}, {bias(ffn), K::Vector}}},
    };
    // Measured on shapes-fastvlm (docs/accuracy.md, "Why data-aware rounding hurt the tower"): GPTQ or weighted on
    // these four 1x1 convs alone raise the int3 tower's KLD from 0.104 to 0.170 / 0.184 although their own output
    // error under the calibration X^T X drops 3x; every other tower matrix gains.
    t.rtn_only = {{"^" + vision + regex_literal(kNetwork) + "\\d+\\." + regex_literal(weight(kPatchEmbedProj)) + "$",
                   "input is the RTN-rounded grouped stride-2 7x7 conv's output, where data-aware rounding was measured "
                   "to raise the KLD"}};
    return t;
}

}  // namespace vlmq::arch
