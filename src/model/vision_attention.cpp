// FastViT AttentionBlock: LayerNormChannel -> multi-head self-attention (qkv without bias, no mask) -> proj,
// then the ConvFFN, each added through its per-channel layer scale.
#include <cmath>

#include "arch/fastvlm_names.h"
#include "kernels/activations.h"
#include "kernels/linear.h"
#include "model/vision_blocks.h"
#include "model/vision_config.h"

namespace vlmq::model::vision {

AttentionBlock load_attention_block(const package::WeightSource& ws, const std::string& prefix, int64_t d, int64_t hidden,
                                    int64_t head_dim) {
    using namespace arch::fastvlm;
    AttentionBlock b;
    b.head_dim = head_dim;
    b.norm_w = ws.get_f32(weight(prefix + kAttnNorm), {d});
    b.norm_b = ws.get_f32(bias(prefix + kAttnNorm), {d});
    b.qkv = load_pointwise(ws, prefix + kAttnQkv, {3 * d, d}, false);
    b.proj = load_pointwise(ws, prefix + kAttnProj, {d, d});
    b.ffn = load_conv_ffn(ws, prefix + kConvFfn, d, hidden);
    b.ls1 = ws.get_f32(prefix + kLayerScale1, {d, 1, 1});
    b.ls2 = ws.get_f32(prefix + kLayerScale2, {d, 1, 1});
    return b;
}

namespace {

// out[n, d] = concat over heads of softmax((q_h * scale) k_h^T) v_h, with qkv [n, 3d] laid out (3, heads, head_dim).
void multi_head_attention(const Compute& c, float* qkv, int64_t n, int64_t d, int64_t head_dim, float* out) {
    const int64_t heads = d / head_dim, ld = 3 * d;
    const float scale = 1.0f / std::sqrt(float(head_dim));
    parallel_for(c.pool, n, 64, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r)
            for (int64_t i = 0; i < d; ++i) qkv[r * ld + i] *= scale;
    });
    // Heads run in parallel; the products inside a head run on the worker's thread.
    parallel_for(c.pool, heads, 1, [&](int64_t h0, int64_t h1) {
        const Compute serial{nullptr, c.reference, c.int8_activations};
        std::vector<float> scores(static_cast<size_t>(n * n));
        for (int64_t h = h0; h < h1; ++h) {
            const float* q = qkv + h * head_dim;
            const float* k = qkv + d + h * head_dim;
            const float* v = qkv + 2 * d + h * head_dim;
            kernels::matmul_f32_nt(serial, q, ld, k, ld, scores.data(), n, n, n, head_dim);
            kernels::softmax_rows(serial, scores.data(), n, n, n);
            kernels::matmul_f32(serial, scores.data(), n, v, ld, out + h * head_dim, d, n, head_dim, n);
        }
    });
}

}  // namespace

void AttentionBlock::run(const Compute& c, const ForwardHooks* hooks, FeatureMap& x, Scratch& s) const {
    const int64_t n = x.pixels(), d = x.c;
    float* normed = sized(s.a, n * d);
    kernels::layer_norm_channel(c, x.data.data(), n, d, norm_w.data(), norm_b.data(), VisionConfig::kNormEps, normed);
    float* qkv_out = sized(s.hidden, n * 3 * d);
    qkv.run(c, hooks, normed, n, qkv_out);
    float* attn = sized(s.b, n * d);
    multi_head_attention(c, qkv_out, n, d, head_dim, attn);
    proj.run(c, hooks, attn, n, normed);
    kernels::add_scaled_channels(c, x.data.data(), normed, ls1.data(), n, d);

    ffn.run(c, hooks, x, normed, s);
    kernels::add_scaled_channels(c, x.data.data(), normed, ls2.data(), n, d);
}

}  // namespace vlmq::model::vision
