#include "synth/fastvlm_spec.h"

#include "core/error.h"
#include "model/fastvlm_tensors.h"

namespace vlmq::synth {

namespace {

void set_decoder(model::Qwen2Config& c, int hidden, int layers, int heads, int kv_heads, int intermediate) {
    c.hidden_size = hidden, c.num_layers = layers, c.num_heads = heads, c.num_kv_heads = kv_heads;
    c.head_dim = hidden / heads;
    c.intermediate_size = intermediate;
}

}  // namespace

FastVlmSpec FastVlmSpec::preset_named(const std::string& name) {
    FastVlmSpec s;
    s.preset = name;
    if (name == "fastvlm-1.5b") {
        set_decoder(s.llm, 1536, 28, 12, 2, 8960);
    } else if (name == "fastvlm-7b") {
        set_decoder(s.llm, 3584, 28, 28, 4, 18944);
        s.llm.vocab_size = 152064;
    } else if (name == "tiny") {  // the dimensions of tests/data/tiny-fastvlm-a
        s.vision.image_size = 256;
        s.vision.layers = {1, 1, 2, 1, 1};
        s.vision.embed_dims = {16, 32, 64, 128, 256};
        s.vision.projection_dim = 64;
        s.explicit_vision_config = true;
        set_decoder(s.llm, 128, 2, 4, 2, 352);
        s.llm.vocab_size = 451, s.tokenizer_size = 451;
    } else if (name != "fastvlm-0.5b") {
        fail("unknown preset '{}' (expected fastvlm-0.5b, fastvlm-1.5b, fastvlm-7b or tiny)", name);
    }
    s.llm.eos_token_ids = {s.tokenizer_size - 1};  // the synthetic tokenizer's <|im_end|>
    s.vision.validate("preset " + name);
    s.llm.validate("preset " + name);
    return s;
}

std::vector<std::string> FastVlmSpec::preset_names() { return {"fastvlm-0.5b", "fastvlm-1.5b", "fastvlm-7b", "tiny"}; }

std::vector<io::TensorDecl> fastvlm_tensors(const FastVlmSpec& s) {
    const model::FastVlmConfig cfg{s.vision, {s.vision.out_channels(), s.llm.hidden_size}, s.llm};
    std::vector<io::TensorDecl> out;
    for (const model::ModelTensor& t : model::fastvlm_tensors(cfg, true))
        out.push_back({t.name, t.counter ? DType::I64 : DType::BF16, t.shape});
    return out;
}

ordered_json fastvlm_config(const FastVlmSpec& s) {
    const model::Qwen2Config& c = s.llm;
    ordered_json j;
    j["architectures"] = {"LlavaQwen2ForCausalLM"};
    j["model_type"] = "llava_qwen2";
    j["hidden_size"] = c.hidden_size;
    j["intermediate_size"] = c.intermediate_size;
    j["num_hidden_layers"] = c.num_layers;
    j["num_attention_heads"] = c.num_heads;
    j["num_key_value_heads"] = c.num_kv_heads;
    j["vocab_size"] = c.vocab_size;
    j["max_position_embeddings"] = c.max_positions;
    j["rope_theta"] = c.rope_theta;
    j["rms_norm_eps"] = c.rms_norm_eps;
    j["hidden_act"] = "silu";
    j["tie_word_embeddings"] = c.tie_word_embeddings;
    j["use_sliding_window"] = false;
    j["torch_dtype"] = "bfloat16";
    j["bos_token_id"] = s.tokenizer_size - 3;
    if (c.eos_token_ids.size() == 1)
        j["eos_token_id"] = c.eos_token_ids.front();
    else
        j["eos_token_id"] = c.eos_token_ids;
    j["image_aspect_ratio"] = "pad";
    j["mm_hidden_size"] = s.vision.out_channels();
    j["mm_projector_type"] = "mlp2x_gelu";
    j["mm_vision_tower"] = s.vision.tower_name();
    j["mm_use_im_start_end"] = false;
    j["mm_use_im_patch_token"] = false;
    j["mm_patch_merge_type"] = "flat";
    j["mm_vision_select_feature"] = "patch";
    j["mm_vision_select_layer"] = -2;
    j["tokenizer_model_max_length"] = 8192;
    j["tokenizer_padding_side"] = "right";
    if (s.explicit_vision_config) j["vision_tower_config"] = s.vision.to_json();
    j["vlmq_synthetic"] = true;
    return j;
}

}  // namespace vlmq::synth
