#include "synth/fastvlm_spec.h"

#include <fmt/format.h>

#include "core/error.h"

namespace vlmq::synth {

FastVlmSpec FastVlmSpec::preset_named(const std::string& name) {
    FastVlmSpec s;
    s.preset = name;
    if (name == "fastvlm-0.5b") return s;
    if (name == "fastvlm-1.5b") {
        s.hidden = 1536, s.n_layers = 28, s.n_heads = 12, s.n_kv_heads = 2, s.intermediate = 8960;
        return s;
    }
    if (name == "fastvlm-7b") {
        s.hidden = 3584, s.n_layers = 28, s.n_heads = 28, s.n_kv_heads = 4, s.intermediate = 18944;
        s.vocab_rows = 152064;
        return s;
    }
    if (name == "tiny") {  // the dimensions of tests/data/tiny-fastvlm-a
        s.image_size = 256;
        s.layers = {1, 1, 2, 1, 1};
        s.widths = {16, 32, 64, 128, 256};
        s.projection_dim = 64;
        s.explicit_vision_config = true;
        s.hidden = 128, s.n_layers = 2, s.n_heads = 4, s.n_kv_heads = 2, s.intermediate = 352;
        s.vocab_rows = 451, s.tokenizer_size = 451;
        return s;
    }
    fail("unknown preset '{}' (expected fastvlm-0.5b, fastvlm-1.5b, fastvlm-7b or tiny)", name);
}

std::vector<std::string> FastVlmSpec::preset_names() { return {"fastvlm-0.5b", "fastvlm-1.5b", "fastvlm-7b", "tiny"}; }

namespace {

void add(std::vector<io::TensorDecl>& out, std::string name, std::vector<int64_t> shape, DType dtype = DType::BF16) {
    out.push_back({std::move(name), dtype, std::move(shape)});
}

void add_conv(std::vector<io::TensorDecl>& out, const std::string& prefix, int64_t co, int64_t ci, int64_t k) {
    add(out, prefix + ".weight", {co, ci, k, k});
    add(out, prefix + ".bias", {co});
}

void add_convffn(std::vector<io::TensorDecl>& out, const std::string& p, int64_t d, int64_t ratio) {
    add(out, p + "convffn.conv.conv.weight", {d, 1, 7, 7});
    for (const char* s : {"weight", "bias", "running_mean", "running_var"}) add(out, p + "convffn.conv.bn." + s, {d});
    add(out, p + "convffn.conv.bn.num_batches_tracked", {}, DType::I64);
    add_conv(out, p + "convffn.fc1", ratio * d, d, 1);
    add_conv(out, p + "convffn.fc2", d, ratio * d, 1);
}

}  // namespace

std::vector<io::TensorDecl> fastvlm_tensors(const FastVlmSpec& s) {
    std::vector<io::TensorDecl> out;
    const std::string P = "model.vision_tower.vision_tower.model.";
    const int64_t w0 = s.widths[0];
    add_conv(out, P + "patch_embed.0.reparam_conv", w0, 3, 3);
    add_conv(out, P + "patch_embed.1.reparam_conv", w0, 1, 3);
    add_conv(out, P + "patch_embed.2.reparam_conv", w0, w0, 1);
    int n = 0;
    for (size_t stage = 0; stage < s.widths.size(); ++stage) {
        const int64_t d = s.widths[stage];
        if (stage > 0) {
            const std::string p = fmt::format("{}network.{}.proj.", P, n++);
            add_conv(out, p + "0.lkb_reparam", d, 1, 7);
            add_conv(out, p + "1.reparam_conv", d, d, 1);
        }
        if (s.repcpe[stage]) add_conv(out, fmt::format("{}network.{}.reparam_conv", P, n++), d, 1, 7);
        for (int b = 0; b < s.layers[stage]; ++b) {
            const std::string p = fmt::format("{}network.{}.{}.", P, n, b);
            if (s.attention[stage]) {
                add(out, p + "norm.weight", {d});
                add(out, p + "norm.bias", {d});
                add(out, p + "token_mixer.qkv.weight", {3 * d, d});
                add(out, p + "token_mixer.proj.weight", {d, d});
                add(out, p + "token_mixer.proj.bias", {d});
                add_convffn(out, p, d, s.mlp_ratio);
                add(out, p + "layer_scale_1", {d, 1, 1});
                add(out, p + "layer_scale_2", {d, 1, 1});
            } else {
                add_conv(out, p + "token_mixer.reparam_conv", d, 1, 3);
                add_convffn(out, p, d, s.mlp_ratio);
                add(out, p + "layer_scale", {d, 1, 1});
            }
        }
        ++n;
    }
    const int64_t c = s.vision_out_channels();
    add_conv(out, P + "conv_exp.reparam_conv", c, 1, 3);
    add_conv(out, P + "conv_exp.se.reduce", c / 16, c, 1);
    add_conv(out, P + "conv_exp.se.expand", c, c / 16, 1);
    add(out, P + "head.proj", {c, s.projection_dim});

    const int64_t h = s.hidden, kvd = int64_t(s.n_kv_heads) * (s.hidden / s.n_heads);
    add(out, "model.mm_projector.0.weight", {h, c});
    add(out, "model.mm_projector.0.bias", {h});
    add(out, "model.mm_projector.2.weight", {h, h});
    add(out, "model.mm_projector.2.bias", {h});
    add(out, "model.embed_tokens.weight", {s.vocab_rows, h});
    for (int i = 0; i < s.n_layers; ++i) {
        const std::string p = fmt::format("model.layers.{}.", i);
        add(out, p + "self_attn.q_proj.weight", {h, h});
        add(out, p + "self_attn.q_proj.bias", {h});
        add(out, p + "self_attn.k_proj.weight", {kvd, h});
        add(out, p + "self_attn.k_proj.bias", {kvd});
        add(out, p + "self_attn.v_proj.weight", {kvd, h});
        add(out, p + "self_attn.v_proj.bias", {kvd});
        add(out, p + "self_attn.o_proj.weight", {h, h});
        add(out, p + "mlp.gate_proj.weight", {s.intermediate, h});
        add(out, p + "mlp.up_proj.weight", {s.intermediate, h});
        add(out, p + "mlp.down_proj.weight", {h, s.intermediate});
        add(out, p + "input_layernorm.weight", {h});
        add(out, p + "post_attention_layernorm.weight", {h});
    }
    add(out, "model.norm.weight", {h});
    add(out, "lm_head.weight", {s.vocab_rows, h});
    return out;
}

ordered_json fastvlm_config(const FastVlmSpec& s) {
    ordered_json j;
    j["architectures"] = {"LlavaQwen2ForCausalLM"};
    j["model_type"] = "llava_qwen2";
    j["hidden_size"] = s.hidden;
    j["intermediate_size"] = s.intermediate;
    j["num_hidden_layers"] = s.n_layers;
    j["num_attention_heads"] = s.n_heads;
    j["num_key_value_heads"] = s.n_kv_heads;
    j["vocab_size"] = s.vocab_rows;
    j["max_position_embeddings"] = 32768;
    j["rope_theta"] = s.rope_theta;
    j["rms_norm_eps"] = 1e-6;
    j["hidden_act"] = "silu";
    j["tie_word_embeddings"] = false;
    j["use_sliding_window"] = false;
    j["torch_dtype"] = "bfloat16";
    j["bos_token_id"] = s.tokenizer_size - 3;
    j["eos_token_id"] = s.tokenizer_size - 1;
    j["image_aspect_ratio"] = "pad";
    j["mm_hidden_size"] = s.vision_out_channels();
    j["mm_projector_type"] = "mlp2x_gelu";
    j["mm_vision_tower"] = fmt::format("mobileclip_l_{}", s.image_size);
    j["mm_use_im_start_end"] = false;
    j["mm_use_im_patch_token"] = false;
    j["mm_patch_merge_type"] = "flat";
    j["mm_vision_select_feature"] = "patch";
    j["mm_vision_select_layer"] = -2;
    j["tokenizer_model_max_length"] = 8192;
    j["tokenizer_padding_side"] = "right";
    if (s.explicit_vision_config) {
        ordered_json v;
        v["image_size"] = s.image_size;
        v["layers"] = s.layers;
        v["embed_dims"] = s.widths;
        v["mlp_ratios"] = std::vector<int>(s.widths.size(), s.mlp_ratio);
        ordered_json mixers = ordered_json::array(), pos = ordered_json::array();
        for (size_t i = 0; i < s.widths.size(); ++i) {
            mixers.push_back(s.attention[i] ? "attention" : "repmixer");
            pos.push_back(s.repcpe[i] ? ordered_json("repcpe") : ordered_json(nullptr));
        }
        v["token_mixers"] = mixers;
        v["pos_embs"] = pos;
        v["repmixer_kernel_size"] = 3;
        v["down_patch_size"] = 7;
        v["cls_ratio"] = 2.0;
        v["projection_dim"] = s.projection_dim;
        v["attention_head_dim"] = 32;
        j["vision_tower_config"] = v;
    }
    j["vlmq_synthetic"] = true;
    return j;
}

}  // namespace vlmq::synth
