#include "model/fastvlm_tensors.h"

#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "core/shape.h"

namespace vlmq::model {

std::vector<ModelTensor> fastvlm_tensors(const FastVlmConfig& cfg, bool all_stored) {
    using namespace arch::fastvlm;
    std::vector<ModelTensor> out;
    auto add = [&](std::string name, std::vector<int64_t> shape) { out.push_back({std::move(name), std::move(shape)}); };
    for (const VisionTensor& t : vision_tensors(cfg.vision, all_stored))
        out.push_back({vision_name(t.name), t.shape, t.counter});

    const Qwen2Config& c = cfg.llm;
    const int64_t h = c.hidden_size, kvd = c.kv_dim(), inter = c.intermediate_size;
    for (const int i : {kProjectorFc1, kProjectorFc2}) {
        add(weight(projector(i)), {h, i == kProjectorFc1 ? cfg.projector.in_dim : h});
        add(bias(projector(i)), {h});
    }
    add(weight(kEmbedTokens), {c.vocab_size, h});
    for (int i = 0; i < c.num_layers; ++i) {
        const std::string p = layer(i);
        add(weight(p + kAttnQ), {h, h});
        add(bias(p + kAttnQ), {h});
        add(weight(p + kAttnK), {kvd, h});
        add(bias(p + kAttnK), {kvd});
        add(weight(p + kAttnV), {kvd, h});
        add(bias(p + kAttnV), {kvd});
        add(weight(p + kAttnO), {h, h});
        add(weight(p + kMlpGate), {inter, h});
        add(weight(p + kMlpUp), {inter, h});
        add(weight(p + kMlpDown), {h, inter});
        add(weight(p + kInputNorm), {h});
        add(weight(p + kPostAttnNorm), {h});
    }
    add(weight(kFinalNorm), {h});
    add(weight(kLmHead), {c.vocab_size, h});
    out.back().optional = c.tie_word_embeddings;
    return out;
}

void check_tensors(const package::WeightSource& ws, const FastVlmConfig& cfg, ModelParts parts) {
    const std::string dir = ws.dir().string();
    for (const ModelTensor& t : fastvlm_tensors(cfg)) {
        if (parts == ModelParts::WithoutVision && t.name.starts_with(arch::fastvlm::kVisionPrefix)) continue;
        const auto w = ws.find(t.name);  // fails naming the tensor for a dtype that is not a float weight
        if (!w) {
            if (t.optional) continue;
            fail("{}: missing tensor '{}' (expected shape {})", dir, t.name, shape_str(t.shape));
        }
        if (w->shape != t.shape)
            fail("{}: tensor '{}' has shape {}, expected {}", dir, t.name, shape_str(w->shape), shape_str(t.shape));
    }
}

FastVlmConfig check_model(const package::WeightSource& ws, ModelParts parts) {
    const FastVlmConfig cfg = FastVlmConfig::from_json(ws.config(), (ws.dir() / "config.json").string());
    check_tensors(ws, cfg, parts);
    return cfg;
}

}  // namespace vlmq::model
