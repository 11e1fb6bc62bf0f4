#pragma once
// FastVLM's Qwen2 decoder: token embeddings, pre-norm layers (RMSNorm -> q/k/v with bias -> rotate-half RoPE ->
// causal GQA -> o_proj; RMSNorm -> SwiGLU MLP), final RMSNorm and LM head. Weights are views into a
// package::WeightSource (bf16 checkpoint or quantized package); every matrix product goes through apply_linear.
#include <cstdint>
#include <span>
#include <vector>

#include "core/compute.h"
#include "kernels/rope.h"
#include "model/forward_hooks.h"
#include "model/kv_cache.h"
#include "model/qwen2_config.h"
#include "package/weights.h"

namespace vlmq::model {

class Qwen2 {
public:
    // Reads and shape-checks every decoder tensor ("model.embed_tokens.weight", "model.layers.{i}.*",
    // "model.norm.weight", and "lm_head.weight" when present, else the tied embeddings). `ws` must outlive this.
    Qwen2(const package::WeightSource& ws, const Qwen2Config& cfg);
    explicit Qwen2(const package::WeightSource& ws);  // config from ws.config()

    const Qwen2Config& config() const { return cfg_; }
    int64_t hidden() const { return cfg_.hidden_size; }
    int64_t vocab() const { return cfg_.vocab_size; }

    // Embedding rows of `ids` into out [ids.size(), hidden]; only those rows are dequantized. Fails naming an id
    // outside [0, vocab).
    void embed(const Compute& c, std::span<const int32_t> ids, float* out) const;

    // Runs `rows` new positions with inputs x [rows, hidden] after the cache's contents and appends their keys
    // and values to the cache. Returns logits [rows - logits_from, vocab] of rows [logits_from, rows) (so
    // logits_from = rows - 1 gives only the next-token logits, logits_from = rows none).
    // Taps: "inputs_embeds" [rows, H], "llm.layer.{i}" [rows, H] (residual stream after layer i),
    // "llm.final_norm" [rows, H], "logits" [rows - logits_from, V].
    std::vector<float> forward(const Compute& c, KvCache& cache, const float* x, int64_t rows,
                               int64_t logits_from, const ForwardHooks* hooks = nullptr) const;

private:
    struct Layer {
        std::vector<float> input_norm, post_norm;  // [H]
        package::Weight q, k, v, o, gate, up, down;
        std::vector<float> q_bias, k_bias, v_bias;
    };
    void run_layer(const Compute& c, int index, KvCache& cache, float* x, int64_t rows,
                   const kernels::RopeAngles& rope, const ForwardHooks* hooks) const;

    Qwen2Config cfg_;
    package::Weight embed_tokens_, lm_head_;
    std::vector<float> final_norm_;
    std::vector<Layer> layers_;
};

}  // namespace vlmq::model
