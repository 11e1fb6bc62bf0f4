#pragma once
// Building blocks of the FastViT tower in inference (re-parameterised) form, on channels-last feature maps.
// Internal to src/model/vision_*; model code outside uses VisionTower.
//
// Weights: kxk conv kernels, biases, norms and layer scales are fp32 copies made at load (ConvFFN BatchNorm
// folded into its depthwise conv); 1x1 convs and linears stay package::Weight views (any qformat) and run through
// apply_linear, so they must outlive the blocks with the package::WeightSource.
//
// Names: each load_* takes the full checkpoint path of its module (`leaf`: the tensors are "<leaf>.weight" and
// "<leaf>.bias"; `prefix`: a container ending in '.') and appends the arch::fastvlm names of the tensors inside.
#include <string>
#include <vector>

#include "core/compute.h"
#include "kernels/conv.h"
#include "model/forward_hooks.h"
#include "package/weights.h"

namespace vlmq::model::vision {

// [h*w, c] row-major (pixel p = y*w + x).
struct FeatureMap {
    int64_t h = 0, w = 0, c = 0;
    std::vector<float> data;

    int64_t pixels() const { return h * w; }
    void reshape(int64_t nh, int64_t nw, int64_t nc) {
        h = nh, w = nw, c = nc;
        data.resize(size_t(nh * nw * nc));
    }
};

// Buffers reused across blocks within one forward pass.
struct Scratch {
    FeatureMap tmp;
    std::vector<float> a, b, hidden;
};

inline float* sized(std::vector<float>& v, int64_t n) {
    if (v.size() < size_t(n)) v.resize(size_t(n));
    return v.data();
}

// Depthwise / grouped kxk conv (groups = c_in, c_out = multiplier * c_in), "same" padding.
struct GroupedConv {
    int k = 3, stride = 1, multiplier = 1;
    int64_t c_in = 0;
    std::vector<float> w;     // tap-major [k*k, c_out]
    std::vector<float> bias;  // [c_out] or empty

    int64_t c_out() const { return c_in * multiplier; }
    kernels::DepthwiseShape shape(int64_t h, int64_t w) const { return {h, w, c_in, k, stride, multiplier}; }
    void run(const Compute& c, const FeatureMap& x, FeatureMap& y) const;
};

// "<leaf>.weight" [c_in*mult, 1, k, k] and (with_bias) "<leaf>.bias".
GroupedConv load_grouped_conv(const package::WeightSource& ws, const std::string& leaf, int64_t c_in, int multiplier, int k,
                              int stride, bool with_bias);

// 1x1 conv or linear: y[N, rows] = x[N, cols] W^T + b.
struct Pointwise {
    package::Weight w;
    std::vector<float> bias;  // [rows] or empty

    void run(const Compute& c, const ForwardHooks* hooks, const float* x, int64_t n, float* y) const {
        apply_linear(c, hooks, w, x, n, bias.empty() ? nullptr : bias.data(), y);
    }
};

// `shape` is the stored weight shape ([o, i, 1, 1] for convs, [o, i] for linears).
Pointwise load_pointwise(const package::WeightSource& ws, const std::string& leaf, const std::vector<int64_t>& shape,
                         bool with_bias = true);

// dwconv7x7 -> BatchNorm (folded) -> 1x1 d->h + bias -> GELU -> 1x1 h->d + bias.
struct ConvFFN {
    GroupedConv conv;
    Pointwise fc1, fc2;
    int64_t hidden = 0;

    // out[N, d] = ConvFFN(x); uses s.tmp and s.hidden.
    void run(const Compute& c, const ForwardHooks* hooks, const FeatureMap& x, float* out, Scratch& s) const;
};
ConvFFN load_conv_ffn(const package::WeightSource& ws, const std::string& prefix, int64_t d, int64_t hidden);

// x = dwconv(x) + b; x += layer_scale * ConvFFN(x).
struct RepMixerBlock {
    GroupedConv mixer;
    ConvFFN ffn;
    std::vector<float> layer_scale;

    void run(const Compute& c, const ForwardHooks* hooks, FeatureMap& x, Scratch& s) const;
};
RepMixerBlock load_repmixer_block(const package::WeightSource& ws, const std::string& prefix, int64_t d, int64_t hidden,
                                  int kernel);

// x += ls1 * MHSA(LayerNormChannel(x)); x += ls2 * ConvFFN(x).
struct AttentionBlock {
    std::vector<float> norm_w, norm_b;
    Pointwise qkv, proj;
    ConvFFN ffn;
    std::vector<float> ls1, ls2;
    int64_t head_dim = 32;

    void run(const Compute& c, const ForwardHooks* hooks, FeatureMap& x, Scratch& s) const;
};
AttentionBlock load_attention_block(const package::WeightSource& ws, const std::string& prefix, int64_t d, int64_t hidden,
                                    int64_t head_dim);

// GELU(grouped kxk stride-2 conv c_in -> c_out) -> GELU(1x1 c_out -> c_out).
struct PatchEmbed {
    GroupedConv down;
    Pointwise proj;

    void run(const Compute& c, const ForwardHooks* hooks, FeatureMap& x, Scratch& s) const;
};
PatchEmbed load_patch_embed(const package::WeightSource& ws, const std::string& prefix, int64_t c_in, int64_t c_out, int k);

// patch_embed.0..2: dense 3x3 s2 (3 -> c) + GELU, depthwise 3x3 s2 + GELU, 1x1 + GELU.
struct Stem {
    kernels::Conv2dShape conv0_shape;
    std::vector<float> conv0_w, conv0_b;
    GroupedConv conv1;
    Pointwise conv2;

    // pixels: [3, size, size] planar.
    void run(const Compute& c, const ForwardHooks* hooks, const float* pixels, int64_t size, FeatureMap& x,
             Scratch& s) const;
};
Stem load_stem(const package::WeightSource& ws, int64_t c);

// conv_exp: grouped 3x3 (c -> mult*c) + bias -> squeeze-excite -> GELU.
struct ConvExp {
    GroupedConv conv;
    Pointwise reduce, expand;

    void run(const Compute& c, const ForwardHooks* hooks, FeatureMap& x, Scratch& s) const;
};
ConvExp load_conv_exp(const package::WeightSource& ws, const std::string& prefix, int64_t c_in, int64_t c_out, int64_t se);

}  // namespace vlmq::model::vision
