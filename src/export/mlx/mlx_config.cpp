#include "export/mlx/mlx_config.h"

#include <fmt/format.h>

#include <map>

#include "arch/fastvlm_names.h"

namespace vlmq::exporters::mlx {

namespace {

using namespace arch::fastvlm;

// The exported entry of checkpoint tensor `source`, or nullptr when it is not exported.
const ExportPlanEntry* find_exported(const ExportPlan& plan, const std::string& source) {
    for (const auto& e : plan.entries)
        if (e.target && e.source.name == source) return &e;
    return nullptr;
}

ordered_json quantization_block(const ExportPlan& plan, int64_t* per_layer) {
    if (!plan.dominant) return nullptr;
    ordered_json q = ordered_json::object();
    q["group_size"] = plan.dominant->group_size;
    q["bits"] = plan.dominant->bits;
    std::map<std::string, ordered_json> layers;  // sorted by module path
    for (const auto& e : plan.entries) {
        if (e.action == Action::Drop || !e.target->quantizable()) continue;
        if (e.action == Action::Float)
            layers[e.target->module] = false;
        // mlx-vlm quantizes a layer without an entry only when weight.size % 64 == 0: list the others too.
        else if (QuantFormat{e.group_size, e.bits} != *plan.dominant || (e.rows() * e.cols()) % 64 != 0)
            layers[e.target->module] = ordered_json{{"group_size", e.group_size}, {"bits", e.bits}};
    }
    for (auto& [module, v] : layers) q[module] = std::move(v);
    *per_layer = int64_t(layers.size());
    return q;
}

void vision_warnings(const ExportPlan& plan, std::vector<std::string>& w) {
    const auto* stem = find_exported(plan, vision_name(weight(vision_stem(0) + kReparamConv)));
    const auto* exp = find_exported(plan, vision_name(weight(std::string(kConvExp) + kReparamConv)));
    const int64_t stem_c = stem ? stem->shape[0] : 0, exp_c = exp ? exp->shape[0] : 0;
    if (stem_c != 96 || exp_c != 3072)
        w.push_back(fmt::format(
            "mlx-vlm's FastVLM VisionConfig hard-codes FastViTHD (stem 96 channels, conv_exp 3072); this vision tower "
            "has {} and {}, so mlx-vlm cannot build a matching model for it",
            stem_c, exp_c));
}

void llm_only_warnings(const json& src, int64_t per_layer, std::vector<std::string>& w) {
    if (!src.contains("image_token_index"))
        w.push_back("config.json has no image_token_index: Apple's patched mlx-vlm then uses 32000; ml-fastvlm's "
                    "export_vision_encoder.py sets it (151646) and adds the <image> token to the tokenizer");
    for (const char* key : {"mm_hidden_size", "mm_vision_tower"})
        if (!src.contains(key)) w.push_back(fmt::format("config.json has no {}: Apple's patched mlx-vlm requires it", key));
    if (per_layer > 0)
        w.push_back(fmt::format(
            "{} per-layer quantization entries: Apple's pinned mlx-vlm (1884b55) passes \"quantization\" to nn.quantize "
            "as keyword arguments and loads only uniform exports; current mlx-vlm / mlx-lm / mlx-swift read them",
            per_layer));
}

}  // namespace

MlxConfig make_mlx_config(const json& src, const ExportPlan& plan, Target target) {
    MlxConfig out;
    std::map<std::string, ordered_json> keys;
    for (auto it = src.begin(); it != src.end(); ++it) {
        if (it.key() == "torch_dtype" || it.key() == "_name_or_path" || it.key() == "quantization" ||
            it.key() == "quantization_config")
            continue;
        keys[it.key()] = parse_ordered_json(it.value().dump(), "config.json");
    }
    // mlx-vlm builds lm_head only when tie_word_embeddings is false; follow the weights, not the flag.
    keys["tie_word_embeddings"] = find_exported(plan, weight(kLmHead)) == nullptr;
    out.quantization = quantization_block(plan, &out.per_layer_entries);
    if (!out.quantization.is_null()) {
        keys["quantization"] = out.quantization;
        keys["quantization_config"] = out.quantization;  // mlx-lm / mlx-vlm write both (HF model tree)
    }
    out.config = ordered_json::object();
    for (auto& [k, v] : keys) out.config[k] = std::move(v);
    if (target == Target::MlxVlm)
        vision_warnings(plan, out.warnings);
    else
        llm_only_warnings(src, out.per_layer_entries, out.warnings);
    return out;
}

}  // namespace vlmq::exporters::mlx
