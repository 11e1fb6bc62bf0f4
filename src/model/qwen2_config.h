#pragma once
// Hyper-parameters of FastVLM's Qwen2 decoder, read from the (flat) LLaVA config.json.
#include <cstdint>
#include <string>
#include <vector>

#include "core/json_util.h"

namespace vlmq::model {

struct Qwen2Config {
    int hidden_size = 896;
    int num_layers = 24;
    int num_heads = 14;
    int num_kv_heads = 2;
    int head_dim = 64;  // hidden_size / num_heads
    int intermediate_size = 4864;
    int vocab_size = 151936;  // embedding rows
    double rope_theta = 1e6;
    double rms_norm_eps = 1e-6;  // as config.json spells it (kernels take it as float)
    bool tie_word_embeddings = false;  // only used when the checkpoint has no lm_head.weight
    int64_t max_positions = 32768;
    std::vector<int32_t> eos_token_ids;  // config eos_token_id (int or list); may be empty

    int kv_dim() const { return num_kv_heads * head_dim; }

    // Reads the fields named in the struct comments (config.json spelling: hidden_size, num_hidden_layers,
    // num_attention_heads, num_key_value_heads, intermediate_size, vocab_size, rope_theta, rms_norm_eps,
    // tie_word_embeddings, max_position_embeddings, eos_token_id) and validates them; head_dim, hidden_act,
    // use_sliding_window and rope_scaling must, when given, be what the forward code computes (hidden / heads,
    // "silu", false, null). Errors name `where` and the field.
    static Qwen2Config from_json(const json& config, const std::string& where = "config.json");
    void validate(const std::string& where) const;
};

}  // namespace vlmq::model
