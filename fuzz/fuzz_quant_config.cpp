// A quantization config file (QuantConfig::load, as `quantize --config` reads it) and the plan it gives over
// a few FastVLM tensors, one of each kind (this matches the config's regexes against real names).
#include "arch/fastvlm_arch.h"
#include "fuzz_util.h"
#include "quant/plan.h"
#include "quant/quant_config.h"

namespace {

std::vector<vlmq::quant::TensorMeta> tensors() {
    using vlmq::DType;
    const std::string tower = "model.vision_tower.vision_tower.model.";
    return {
        {tower + "patch_embed.0.reparam_conv.weight", DType::BF16, {96, 3, 3, 3}},
        {tower + "network.0.0.convffn.fc1.weight", DType::BF16, {384, 96, 1, 1}},
        {tower + "network.0.0.convffn.conv.bn.num_batches_tracked", DType::I64, {}},
        {tower + "network.7.0.token_mixer.qkv.weight", DType::BF16, {2304, 768}},
        {tower + "conv_exp.se.reduce.weight", DType::BF16, {192, 3072, 1, 1}},
        {"model.mm_projector.0.weight", DType::BF16, {896, 3072}},
        {"model.mm_projector.0.bias", DType::BF16, {896}},
        {"model.embed_tokens.weight", DType::BF16, {151936, 896}},
        {"model.layers.0.self_attn.q_proj.weight", DType::BF16, {896, 896}},
        {"model.layers.0.mlp.down_proj.weight", DType::BF16, {896, 4864}},
        {"model.layers.0.input_layernorm.weight", DType::BF16, {896}},
        {"model.norm.weight", DType::BF16, {896}},
        {"lm_head.weight", DType::BF16, {151936, 896}},
    };
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace vlmq;
    static const arch::ArchTable arch = arch::fastvlm_arch_table();
    static const std::vector<quant::TensorMeta> metas = tensors();
    const auto path = fuzz::Scratch::get().write("quant.json", fuzz::as_text(data, size));
    fuzz::run_input([&] {
        const quant::QuantConfig config = quant::QuantConfig::load(path, arch);
        config.check_components(arch, path.string());
        (void)config.to_json().dump();
        const quant::Plan plan = quant::make_plan(metas, arch, config);
        for (const auto& e : plan.entries) (void)e.why();
    });
    return 0;
}
