#include "model/qwen2.h"

#include <cmath>
#include <string>

#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "kernels/attention.h"
#include "core/cpu_features.h"
#include "kernels/norm.h"
#include "kernels/swiglu.h"
#include "qformat/dequant.h"

namespace vlmq::model {

namespace {

void add_inplace(float* x, const float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void tap(const ForwardHooks* hooks, const std::string& name, std::vector<int64_t> shape, const float* data) {
    if (hooks && hooks->tap) hooks->tap(name, shape, data);
}

}  // namespace

Qwen2::Qwen2(const package::WeightSource& ws) : Qwen2(ws, Qwen2Config::from_json(ws.config(), (ws.dir() / "config.json").string())) {}

Qwen2::Qwen2(const package::WeightSource& ws, const Qwen2Config& cfg) : cfg_(cfg) {
    cfg_.validate((ws.dir() / "config.json").string());
    using namespace arch::fastvlm;
    const int64_t H = cfg_.hidden_size, I = cfg_.intermediate_size, V = cfg_.vocab_size, kvd = cfg_.kv_dim();
    embed_tokens_ = ws.get(weight(kEmbedTokens), {V, H});
    if (const std::string lm_head = weight(kLmHead); ws.has(lm_head))
        lm_head_ = ws.get(lm_head, {V, H});
    else if (cfg_.tie_word_embeddings)
        lm_head_ = embed_tokens_;
    else
        fail("{}: missing tensor '{}' (and tie_word_embeddings is false)", ws.dir().string(), lm_head);
    final_norm_ = ws.get_f32(weight(kFinalNorm), {H});
    layers_.resize(size_t(cfg_.num_layers));
    for (int i = 0; i < cfg_.num_layers; ++i) {
        const std::string p = layer(i);
        Layer& l = layers_[size_t(i)];
        l.input_norm = ws.get_f32(weight(p + kInputNorm), {H});
        l.post_norm = ws.get_f32(weight(p + kPostAttnNorm), {H});
        l.q = ws.get(weight(p + kAttnQ), {H, H});
        l.k = ws.get(weight(p + kAttnK), {kvd, H});
        l.v = ws.get(weight(p + kAttnV), {kvd, H});
        l.o = ws.get(weight(p + kAttnO), {H, H});
        l.q_bias = ws.get_f32(bias(p + kAttnQ), {H});
        l.k_bias = ws.get_f32(bias(p + kAttnK), {kvd});
        l.v_bias = ws.get_f32(bias(p + kAttnV), {kvd});
        l.gate = ws.get(weight(p + kMlpGate), {I, H});
        l.up = ws.get(weight(p + kMlpUp), {I, H});
        l.down = ws.get(weight(p + kMlpDown), {H, I});
    }
}

void Qwen2::embed(const Compute& c, std::span<const int32_t> ids, float* out) const {
    const int64_t H = cfg_.hidden_size;
    for (int32_t id : ids)
        if (id < 0 || id >= cfg_.vocab_size)
            fail("token id {} is outside the vocabulary [0, {})", id, cfg_.vocab_size);
    parallel_for(c.pool, int64_t(ids.size()), 16, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i)
            qformat::dequantize_row_range(c, embed_tokens_.mat, ids[size_t(i)], 0, H, out + i * H);
    });
}

void Qwen2::run_layer(const Compute& c, int index, KvCache& cache, float* x, int64_t rows,
                      const kernels::RopeAngles& rope, const ForwardHooks* hooks) const {
    const Layer& l = layers_[size_t(index)];
    const int64_t H = cfg_.hidden_size, I = cfg_.intermediate_size, kvd = cfg_.kv_dim(), d = cfg_.head_dim;
    const int64_t pos0 = cache.length();
    float* k = cache.k(index) + pos0 * kvd;
    float* v = cache.v(index) + pos0 * kvd;

    // Self-attention block.
    std::vector<float> xn(static_cast<size_t>(rows * H)), q(size_t(rows * H)), att(size_t(rows * H));
    kernels::rms_norm(c, x, rows, H, l.input_norm.data(), cfg_.rms_norm_eps, xn.data());
    apply_linear_batch(c, hooks, xn.data(), rows,
                       {{&l.q, l.q_bias.data(), q.data()}, {&l.k, l.k_bias.data(), k}, {&l.v, l.v_bias.data(), v}});
    kernels::rope(c, q.data(), rows, cfg_.num_heads, d, H, rope);
    kernels::rope(c, k, rows, cfg_.num_kv_heads, d, kvd, rope);
    kernels::AttentionArgs a;
    a.q = q.data();
    a.ldq = H;
    a.k = cache.k(index);
    a.v = cache.v(index);
    a.ldkv = kvd;
    a.out = att.data();
    a.ldo = H;
    a.rows = rows;
    a.pos0 = pos0;
    a.heads = cfg_.num_heads;
    a.kv_heads = cfg_.num_kv_heads;
    a.head_dim = d;
    a.scale = float(1.0 / std::sqrt(double(d)));
    kernels::attention(c, a);
    apply_linear(c, hooks, l.o, att.data(), rows, nullptr, q.data());
    add_inplace(x, q.data(), rows * H);

    // MLP block.
    kernels::rms_norm(c, x, rows, H, l.post_norm.data(), cfg_.rms_norm_eps, xn.data());
    std::vector<float> gate(static_cast<size_t>(rows * I)), up(size_t(rows * I));
    apply_linear_batch(c, hooks, xn.data(), rows, {{&l.gate, nullptr, gate.data()}, {&l.up, nullptr, up.data()}});
    kernels::swiglu(c, gate.data(), up.data(), rows * I);
    apply_linear(c, hooks, l.down, gate.data(), rows, nullptr, q.data());
    add_inplace(x, q.data(), rows * H);
}

std::vector<float> Qwen2::forward(const Compute& c, KvCache& cache, const float* x_in, int64_t rows,
                                  int64_t logits_from, const ForwardHooks* hooks) const {
    if (rows < 1) fail("decoder forward needs at least one input position");
    if (logits_from < 0 || logits_from > rows) fail("logits_from {} is outside [0, {}]", logits_from, rows);
    if (cache.kv_dim() != cfg_.kv_dim()) fail("KV cache does not belong to this model");
    const int64_t H = cfg_.hidden_size, pos0 = cache.length();
    cache.reserve(pos0 + rows);
    tap(hooks, "inputs_embeds", {rows, H}, x_in);

    std::vector<float> x(x_in, x_in + rows * H);
    const kernels::RopeAngles rope = kernels::rope_angles(pos0, rows, cfg_.head_dim, cfg_.rope_theta);
    for (int i = 0; i < cfg_.num_layers; ++i) {
        run_layer(c, i, cache, x.data(), rows, rope, hooks);
        tap(hooks, "llm.layer." + std::to_string(i), {rows, H}, x.data());
    }
    cache.advance(rows);

    kernels::rms_norm(c, x.data(), rows, H, final_norm_.data(), cfg_.rms_norm_eps, x.data());
    tap(hooks, "llm.final_norm", {rows, H}, x.data());
    const int64_t n = rows - logits_from;
    std::vector<float> logits(static_cast<size_t>(n * cfg_.vocab_size));
    if (n > 0) {
        apply_linear(c, hooks, lm_head_, x.data() + logits_from * H, n, nullptr, logits.data());
        tap(hooks, "logits", {n, int64_t(cfg_.vocab_size)}, logits.data());
    }
    return logits;
}

}  // namespace vlmq::model
