#include "model/vision_blocks.h"

#include "arch/fastvlm_names.h"
#include "kernels/activations.h"
#include "model/vision_batch_norm.h"
#include "model/vision_config.h"

namespace vlmq::model::vision {

using namespace arch::fastvlm;

void GroupedConv::run(const Compute& c, const FeatureMap& x, FeatureMap& y) const {
    const kernels::DepthwiseShape s = shape(x.h, x.w);
    y.reshape(s.out_h(), s.out_w(), c_out());
    kernels::depthwise_conv_hwc(c, s, x.data.data(), w.data(), bias.empty() ? nullptr : bias.data(), y.data.data());
}

GroupedConv load_grouped_conv(const package::WeightSource& ws, const std::string& leaf, int64_t c_in, int multiplier, int k,
                              int stride, bool with_bias) {
    GroupedConv g;
    g.k = k, g.stride = stride, g.multiplier = multiplier, g.c_in = c_in;
    const std::vector<float> oihw = ws.get_f32(weight(leaf), {g.c_out(), 1, k, k});
    g.w = kernels::pack_depthwise_weights(oihw.data(), g.c_out(), k);
    if (with_bias) g.bias = ws.get_f32(bias(leaf), {g.c_out()});
    return g;
}

Pointwise load_pointwise(const package::WeightSource& ws, const std::string& leaf, const std::vector<int64_t>& shape,
                         bool with_bias) {
    Pointwise p;
    p.w = ws.get(weight(leaf), shape);
    if (with_bias) p.bias = ws.get_f32(bias(leaf), {shape[0]});
    return p;
}

ConvFFN load_conv_ffn(const package::WeightSource& ws, const std::string& prefix, int64_t d, int64_t hidden) {
    ConvFFN f;
    f.hidden = hidden;
    f.conv = load_grouped_conv(ws, prefix + kFfnConv, d, 1, VisionConfig::kConvFFNKernel, 1, false);
    FoldedBatchNorm bn = fold_batch_norm(ws, prefix + kFfnBatchNorm, d);
    const int64_t taps = int64_t(f.conv.k) * f.conv.k;
    for (int64_t t = 0; t < taps; ++t)  // tap-major [k*k, d]
        for (int64_t ch = 0; ch < d; ++ch) {
            float& w = f.conv.w[size_t(t * d + ch)];
            w = float(w * bn.scale[size_t(ch)]);
        }
    f.conv.bias = std::move(bn.bias);
    f.fc1 = load_pointwise(ws, prefix + kFfnFc1, {hidden, d, 1, 1});
    f.fc2 = load_pointwise(ws, prefix + kFfnFc2, {d, hidden, 1, 1});
    return f;
}

void ConvFFN::run(const Compute& c, const ForwardHooks* hooks, const FeatureMap& x, float* out, Scratch& s) const {
    const int64_t n = x.pixels();
    conv.run(c, x, s.tmp);
    float* h = sized(s.hidden, n * hidden);
    fc1.run(c, hooks, s.tmp.data.data(), n, h);
    kernels::gelu(c, h, n * hidden);
    fc2.run(c, hooks, h, n, out);
}

RepMixerBlock load_repmixer_block(const package::WeightSource& ws, const std::string& prefix, int64_t d, int64_t hidden,
                                  int kernel) {
    RepMixerBlock b;
    b.mixer = load_grouped_conv(ws, prefix + kMixerConv, d, 1, kernel, 1, true);
    b.ffn = load_conv_ffn(ws, prefix + kConvFfn, d, hidden);
    b.layer_scale = ws.get_f32(prefix + kLayerScale, {d, 1, 1});
    return b;
}

void RepMixerBlock::run(const Compute& c, const ForwardHooks* hooks, FeatureMap& x, Scratch& s) const {
    mixer.run(c, x, s.tmp);
    std::swap(x, s.tmp);
    float* y = sized(s.a, x.pixels() * x.c);
    ffn.run(c, hooks, x, y, s);
    kernels::add_scaled_channels(c, x.data.data(), y, layer_scale.data(), x.pixels(), x.c);
}

PatchEmbed load_patch_embed(const package::WeightSource& ws, const std::string& prefix, int64_t c_in, int64_t c_out, int k) {
    PatchEmbed p;
    p.down = load_grouped_conv(ws, prefix + kPatchEmbedDown, c_in, int(c_out / c_in), k, 2, true);
    p.proj = load_pointwise(ws, prefix + kPatchEmbedProj, {c_out, c_out, 1, 1});
    return p;
}

void PatchEmbed::run(const Compute& c, const ForwardHooks* hooks, FeatureMap& x, Scratch& s) const {
    down.run(c, x, s.tmp);
    kernels::gelu(c, s.tmp.data.data(), int64_t(s.tmp.data.size()));
    x.reshape(s.tmp.h, s.tmp.w, s.tmp.c);
    proj.run(c, hooks, s.tmp.data.data(), x.pixels(), x.data.data());
    kernels::gelu(c, x.data.data(), int64_t(x.data.size()));
}

Stem load_stem(const package::WeightSource& ws, int64_t c) {
    const int k = VisionConfig::kStemKernel;
    auto conv = [](int i) { return vision_name(vision_stem(i) + kReparamConv); };
    Stem st;
    st.conv0_shape = {0, 0, 3, c, k, 2};
    const auto w0 = ws.get_f32(weight(conv(0)), {c, 3, k, k});
    st.conv0_w = kernels::pack_conv2d_weights(w0.data(), c, 3, k);
    st.conv0_b = ws.get_f32(bias(conv(0)), {c});
    st.conv1 = load_grouped_conv(ws, conv(1), c, 1, k, 2, true);
    st.conv2 = load_pointwise(ws, conv(2), {c, c, 1, 1});
    return st;
}

void Stem::run(const Compute& c, const ForwardHooks* hooks, const float* pixels, int64_t size, FeatureMap& x,
               Scratch& s) const {
    FeatureMap& in = s.tmp;
    in.reshape(size, size, 3);
    kernels::chw_to_hwc(pixels, 3, size * size, in.data.data());
    kernels::Conv2dShape shape = conv0_shape;
    shape.h = shape.w = size;
    x.reshape(shape.out_h(), shape.out_w(), shape.c_out);
    kernels::conv2d_hwc(c, shape, in.data.data(), conv0_w.data(), conv0_b.data(), x.data.data());
    kernels::gelu(c, x.data.data(), int64_t(x.data.size()));
    conv1.run(c, x, s.tmp);
    kernels::gelu(c, s.tmp.data.data(), int64_t(s.tmp.data.size()));
    x.reshape(s.tmp.h, s.tmp.w, s.tmp.c);
    conv2.run(c, hooks, s.tmp.data.data(), x.pixels(), x.data.data());
    kernels::gelu(c, x.data.data(), int64_t(x.data.size()));
}

ConvExp load_conv_exp(const package::WeightSource& ws, const std::string& prefix, int64_t c_in, int64_t c_out, int64_t se) {
    ConvExp e;
    e.conv = load_grouped_conv(ws, prefix + kReparamConv, c_in, int(c_out / c_in), VisionConfig::kStemKernel, 1, true);
    e.reduce = load_pointwise(ws, prefix + kSeReduce, {se, c_out, 1, 1});
    e.expand = load_pointwise(ws, prefix + kSeExpand, {c_out, se, 1, 1});
    return e;
}

void ConvExp::run(const Compute& c, const ForwardHooks* hooks, FeatureMap& x, Scratch& s) const {
    conv.run(c, x, s.tmp);
    std::swap(x, s.tmp);
    const int64_t co = x.c, se = reduce.w.mat.rows;
    // Squeeze-excite: mean over pixels -> reduce + ReLU -> expand + sigmoid -> per-channel multiply.
    float* pooled = sized(s.a, co);
    float* squeezed = sized(s.b, se);
    kernels::channel_mean(x.data.data(), x.pixels(), co, pooled);
    reduce.run(c, hooks, pooled, 1, squeezed);
    kernels::relu(squeezed, se);
    std::vector<float> gate(static_cast<size_t>(co));
    expand.run(c, hooks, squeezed, 1, gate.data());
    kernels::sigmoid(gate.data(), co);
    kernels::scale_channels(c, x.data.data(), gate.data(), x.pixels(), co);
    kernels::gelu(c, x.data.data(), int64_t(x.data.size()));
}

}  // namespace vlmq::model::vision
