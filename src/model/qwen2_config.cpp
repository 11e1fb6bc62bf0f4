#include "model/qwen2_config.h"

#include <cmath>

#include "core/error.h"

namespace vlmq::model {

namespace {

int int_field(const json& config, const std::string& key, const std::string& where, int64_t lo, int64_t hi) {
    const int64_t v = json_int(config, key, where);
    if (v < lo || v > hi) fail("{}: field '{}' is {}, expected {}..{}", where, key, v, lo, hi);
    return int(v);
}

double number_or(const json& config, const std::string& key, const std::string& where, double fallback) {
    return config.contains(key) ? json_number(config, key, where) : fallback;
}

std::vector<int32_t> eos_ids(const json& config, const std::string& where) {
    auto it = config.find("eos_token_id");
    if (it == config.end() || it->is_null()) return {};
    std::vector<int32_t> out;
    auto add = [&](const json& v) {
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX)
            fail("{}: field 'eos_token_id' must be a token id or a list of ids, got {}", where, it->dump());
        out.push_back(int32_t(v.get<int64_t>()));
    };
    if (it->is_array())
        for (const json& v : *it) add(v);
    else
        add(*it);
    return out;
}

// Keys that select a variant of the decoder: only the one the forward code computes is accepted (a "relu" MLP
// or a sliding window would otherwise run as SiLU / full attention).
void check_computed_variant(const json& config, const std::string& where) {
    if (auto it = config.find("hidden_act"); it != config.end() && *it != "silu")
        fail("{}: field 'hidden_act' is {}; only \"silu\" is supported (the decoder's MLP is SwiGLU)", where,
             it->dump());
    if (auto it = config.find("use_sliding_window"); it != config.end() && *it != false)
        fail("{}: field 'use_sliding_window' is {}; only false is supported (full causal attention)", where,
             it->dump());
    if (auto it = config.find("rope_scaling"); it != config.end() && !it->is_null())
        fail("{}: field 'rope_scaling' is {}; only null is supported (plain RoPE)", where, it->dump());
}

}  // namespace

Qwen2Config Qwen2Config::from_json(const json& config, const std::string& where) {
    if (!config.is_object()) fail("{}: expected a JSON object", where);
    Qwen2Config c;
    c.hidden_size = int_field(config, "hidden_size", where, 1, 1 << 16);
    c.num_layers = int_field(config, "num_hidden_layers", where, 1, 1024);
    c.num_heads = int_field(config, "num_attention_heads", where, 1, 1024);
    c.num_kv_heads = config.contains("num_key_value_heads")
                         ? int_field(config, "num_key_value_heads", where, 1, 1024)
                         : c.num_heads;
    c.intermediate_size = int_field(config, "intermediate_size", where, 1, 1 << 20);
    c.vocab_size = int_field(config, "vocab_size", where, 1, 1 << 22);
    c.rope_theta = number_or(config, "rope_theta", where, 10000.0);
    c.rms_norm_eps = number_or(config, "rms_norm_eps", where, 1e-6);
    if (config.contains("tie_word_embeddings")) {
        const json& t = config["tie_word_embeddings"];
        if (!t.is_boolean()) fail("{}: field 'tie_word_embeddings' must be true or false, got {}", where, t.dump());
        c.tie_word_embeddings = t.get<bool>();
    }
    if (config.contains("max_position_embeddings"))
        c.max_positions = int_field(config, "max_position_embeddings", where, 1, 1 << 24);
    c.eos_token_ids = eos_ids(config, where);
    if (c.hidden_size % c.num_heads != 0)
        fail("{}: field 'num_attention_heads' ({}) must divide hidden_size ({})", where, c.num_heads, c.hidden_size);
    c.head_dim = c.hidden_size / c.num_heads;
    if (config.contains("head_dim") && !config["head_dim"].is_null() &&
        json_int(config, "head_dim", where) != c.head_dim)
        fail("{}: field 'head_dim' is {}, but hidden_size / num_attention_heads is {}", where,
             json_int(config, "head_dim", where), c.head_dim);
    check_computed_variant(config, where);
    c.validate(where);
    return c;
}

void Qwen2Config::validate(const std::string& where) const {
    if (num_heads < 1 || hidden_size < 1 || num_heads * head_dim != hidden_size)
        fail("{}: field 'num_attention_heads' ({}) must divide hidden_size ({})", where, num_heads, hidden_size);
    if (num_kv_heads < 1 || num_heads % num_kv_heads != 0)
        fail("{}: field 'num_key_value_heads' ({}) must divide num_attention_heads ({})", where, num_kv_heads,
             num_heads);
    if (head_dim % 2 != 0)
        fail("{}: field 'hidden_size' / 'num_attention_heads' gives head_dim {}, which must be even for RoPE", where,
             head_dim);
    if (num_layers < 1) fail("{}: field 'num_hidden_layers' must be positive, got {}", where, num_layers);
    if (intermediate_size < 1) fail("{}: field 'intermediate_size' must be positive, got {}", where, intermediate_size);
    if (vocab_size < 1) fail("{}: field 'vocab_size' must be positive, got {}", where, vocab_size);
    if (!std::isfinite(rope_theta) || rope_theta <= 1.0)
        fail("{}: field 'rope_theta' must be a finite number > 1, got {}", where, rope_theta);
    if (!std::isfinite(rms_norm_eps) || float(rms_norm_eps) <= 0.0f || float(rms_norm_eps) > 1.0f)
        fail("{}: field 'rms_norm_eps' must be in (0, 1], got {}", where, rms_norm_eps);
    if (max_positions < 1) fail("{}: field 'max_position_embeddings' must be positive, got {}", where, max_positions);
    for (int32_t id : eos_token_ids)
        if (id >= vocab_size)
            fail("{}: field 'eos_token_id' ({}) is not below vocab_size ({})", where, id, vocab_size);
}

}  // namespace vlmq::model
