#include "export/coreml/fastvit_program.h"

#include <cmath>

#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "export/coreml/mil_builder.h"
#include "model/vision_batch_norm.h"

namespace vlmq::exporters::coreml {

namespace {

using namespace arch::fastvlm;
using model::NetworkEntry;
using model::VisionConfig;

class TowerBuilder {
public:
    TowerBuilder(const package::WeightSource& ws, const VisionConfig& cfg, const ProgramOptions& opt)
        : ws_(ws), cfg_(cfg), opt_(opt), b_(opt.target, blobs_) {}

    BuiltProgram build();

private:
    static std::string src(const std::string& name) { return vision_name(name); }

    // A matrix weight (conv kernel or linear) as an fp32 variable of MIL shape `shape`.
    std::string matrix(const std::string& name, const std::vector<int64_t>& stored, const std::vector<int64_t>& shape,
                       std::vector<double> row_scale = {}, int64_t row0 = 0, int64_t rows = -1,
                       const std::string& tag = "");
    std::string vec(const std::string& name, int64_t n, const std::vector<int64_t>& shape);

    std::string conv(const std::string& name, const std::string& x, const std::string& w, const std::string& bias,
                     int stride, int64_t groups);
    std::string unary(const std::string& type, const std::string& name, const std::string& x,
                      std::vector<std::pair<std::string, Value>> params = {});
    std::string binary(const std::string& type, const std::string& name, const std::string& x, const std::string& y);
    std::string reshape(const std::string& name, const std::string& x, const std::vector<int64_t>& shape);
    std::string transpose(const std::string& name, const std::string& x, const std::vector<int32_t>& perm);
    std::string matmul(const std::string& name, const std::string& x, const std::string& y, bool transpose_y);
    std::string gelu(const std::string& name, const std::string& x) {
        return unary("gelu", name, x, {{"mode", scalar_string("EXACT")}});
    }

    // Blocks (x is the current feature map variable).
    std::string conv_bias(const std::string& n, const std::string& x, const std::string& ckpt, int64_t c_out,
                          int64_t c_in_per_group, int k, int stride, int64_t groups);
    std::string conv_ffn(const std::string& n, const std::string& x, const std::string& p, int64_t d, int64_t h);
    std::string repmixer_block(const std::string& n, const std::string& x, const std::string& p, int64_t d, int64_t h);
    std::string attention_block(const std::string& n, const std::string& x, const std::string& p, int64_t d,
                                int64_t h);
    std::string patch_embed(const std::string& n, const std::string& x, const std::string& p, int64_t ci, int64_t co);
    std::string conv_exp(const std::string& x);

    void check_tensors() const;

    const package::WeightSource& ws_;
    const VisionConfig& cfg_;
    const ProgramOptions& opt_;
    BlobWriter blobs_;
    MilBuilder b_;
    std::vector<WeightRecord> records_;
};

void TowerBuilder::check_tensors() const {
    const auto tensors = model::vision_tensors(cfg_);
    std::vector<std::string> missing;
    for (const auto& t : tensors)
        if (!ws_.has(src(t.name))) missing.push_back(src(t.name));
    if (missing.size() == tensors.size())
        fail("{}: no FastViT vision tower (tensor '{}' and the rest of the tower are missing)", ws_.dir().string(),
             missing.front());
    if (!missing.empty())
        fail("{}: incomplete vision tower: {} of {} tensors missing (first: '{}')", ws_.dir().string(), missing.size(),
             tensors.size(), missing.front());
    // Expressibility of every stored matrix for the target, reported once with a count.
    std::string first;
    int bad = 0;
    for (const auto& t : tensors) {
        if (t.shape.size() < 2 || t.name.find(kLayerScale) != std::string::npos) continue;
        const package::Weight w = ws_.get(src(t.name), t.shape);
        WeightInput in{src(t.name), t.shape, w.mat, {}};
        if (in.shape.size() == 2) in.shape = {t.shape[0], t.shape[1], 1, 1};
        const StoragePlan p = plan_storage(in, opt_.target, opt_.float_storage);
        if (!p.error.empty() && bad++ == 0) first = p.error;
    }
    if (bad == 1) fail("{}", first);
    if (bad > 1) fail("{} (and {} more tensors)", first, bad - 1);
}

std::string TowerBuilder::matrix(const std::string& name, const std::vector<int64_t>& stored,
                                 const std::vector<int64_t>& shape, std::vector<double> row_scale, int64_t row0,
                                 int64_t rows, const std::string& tag) {
    const package::Weight w = ws_.get(src(name), stored);
    WeightInput in;
    in.tensor = src(name) + tag;
    in.mat = w.mat;
    if (rows >= 0) {  // a block of rows (q / k / v of the fused qkv weight)
        const qformat::Layout l = w.mat.layout();
        in.mat.rows = rows;
        in.mat.data = w.mat.row_data(row0);
        if (in.mat.scales) in.mat.scales += row0 * l.groups_per_row;
        if (in.mat.biases) in.mat.biases += row0 * l.groups_per_row;
    }
    in.shape = shape;
    in.row_scale = std::move(row_scale);
    const EncodedWeight e = encode_weight(b_, mil_var_name(name + tag), in, opt_.float_storage);
    records_.push_back({in.tensor, w.mat.fmt.name(), e.plan.describe(), e.blob_bytes});
    return e.var;
}

std::string TowerBuilder::vec(const std::string& name, int64_t n, const std::vector<int64_t>& shape) {
    const std::vector<float> v = ws_.get_f32(src(name), name.find(kLayerScale) != std::string::npos
                                                            ? std::vector<int64_t>{n, 1, 1}
                                                            : std::vector<int64_t>{n});
    return b_.const_fp32(mil_var_name(name), shape, v);
}

std::string TowerBuilder::conv(const std::string& name, const std::string& x, const std::string& w,
                               const std::string& bias, int stride, int64_t groups) {
    const TensorType& xt = b_.type_of(x);
    const TensorType& wt = b_.type_of(w);
    const int64_t k = wt.shape[2], pad = k / 2;
    if (xt.shape[1] != wt.shape[1] * groups)
        fail("conv '{}': {} input channels for weight {} with groups {}", name, xt.shape[1], type_str(wt), groups);
    auto out_size = [&](int64_t in) { return (in + 2 * pad - k) / stride + 1; };
    TensorType out{DataType::Float32, {1, wt.shape[0], out_size(xt.shape[2]), out_size(xt.shape[3])}};
    std::vector<std::pair<std::string, std::string>> inputs{{"x", x}, {"weight", w}};
    if (!bias.empty()) inputs.emplace_back("bias", bias);
    return b_.op("conv", name, inputs,
                 {{"strides", vector_int32({stride, stride})},
                  {"pad_type", scalar_string("custom")},
                  {"pad", vector_int32({int32_t(pad), int32_t(pad), int32_t(pad), int32_t(pad)})},
                  {"dilations", vector_int32({1, 1})},
                  {"groups", scalar_int32(int32_t(groups))}},
                 out);
}

std::string TowerBuilder::unary(const std::string& type, const std::string& name, const std::string& x,
                                std::vector<std::pair<std::string, Value>> params) {
    return b_.op(type, name, {{"x", x}}, params, b_.type_of(x));
}

std::string TowerBuilder::binary(const std::string& type, const std::string& name, const std::string& x,
                                 const std::string& y) {
    // Broadcast shape (numpy rules; both operands here are rank 4 or a scalar).
    TensorType a = b_.type_of(x), c = b_.type_of(y);
    std::vector<int64_t> shape = a.shape.size() >= c.shape.size() ? a.shape : c.shape;
    const auto& small = a.shape.size() >= c.shape.size() ? c.shape : a.shape;
    for (size_t i = 0; i < small.size(); ++i) {
        int64_t& d = shape[shape.size() - small.size() + i];
        if (d == 1) d = small[i];
    }
    return b_.op(type, name, {{"x", x}, {"y", y}}, {}, {DataType::Float32, shape});
}

std::string TowerBuilder::reshape(const std::string& name, const std::string& x, const std::vector<int64_t>& shape) {
    std::vector<int32_t> s(shape.begin(), shape.end());
    return b_.op("reshape", name, {{"x", x}}, {{"shape", vector_int32(s)}}, {DataType::Float32, shape});
}

std::string TowerBuilder::transpose(const std::string& name, const std::string& x, const std::vector<int32_t>& perm) {
    const TensorType& t = b_.type_of(x);
    std::vector<int64_t> shape;
    for (int32_t p : perm) shape.push_back(t.shape[size_t(p)]);
    return b_.op("transpose", name, {{"x", x}}, {{"perm", vector_int32(perm)}}, {DataType::Float32, shape});
}

std::string TowerBuilder::matmul(const std::string& name, const std::string& x, const std::string& y,
                                 bool transpose_y) {
    const TensorType& a = b_.type_of(x);
    const TensorType& c = b_.type_of(y);
    std::vector<int64_t> shape = a.shape;
    shape.back() = transpose_y ? c.shape[c.shape.size() - 2] : c.shape.back();
    return b_.op("matmul", name, {{"x", x}, {"y", y}},
                 {{"transpose_x", scalar_bool(false)}, {"transpose_y", scalar_bool(transpose_y)}},
                 {DataType::Float32, shape});
}

std::string TowerBuilder::conv_bias(const std::string& n, const std::string& x, const std::string& ckpt,
                                    int64_t c_out, int64_t c_in_per_group, int k, int stride, int64_t groups) {
    const std::vector<int64_t> shape{c_out, c_in_per_group, k, k};
    const std::string w = matrix(weight(ckpt), shape, shape);
    const std::string b = vec(bias(ckpt), c_out, {c_out});
    return conv(n, x, w, b, stride, groups);
}

std::string TowerBuilder::conv_ffn(const std::string& n, const std::string& x, const std::string& p, int64_t d,
                                   int64_t h) {
    // dwconv7x7 with the eval-mode BatchNorm folded in, as the engine does.
    const int k = VisionConfig::kConvFFNKernel;
    const std::string ffn = p + kConvFfn;
    model::FoldedBatchNorm bn = model::fold_batch_norm(ws_, src(ffn + kFfnBatchNorm), d);
    const std::vector<int64_t> dw{d, 1, k, k};
    const std::string w = matrix(weight(ffn + kFfnConv), dw, dw, std::move(bn.scale));
    const std::string bvar = b_.const_fp32(mil_var_name(folded_ffn_bias_name(p)), {d}, bn.bias);
    std::string y = conv(n + "_ffn_dw", x, w, bvar, 1, d);
    y = conv_bias(n + "_ffn_fc1", y, ffn + kFfnFc1, h, d, 1, 1, 1);
    y = gelu(n + "_ffn_gelu", y);
    return conv_bias(n + "_ffn_fc2", y, ffn + kFfnFc2, d, h, 1, 1, 1);
}

std::string TowerBuilder::repmixer_block(const std::string& n, const std::string& x, const std::string& p, int64_t d,
                                         int64_t h) {
    const int k = cfg_.repmixer_kernel_size;
    const std::string mixed = conv_bias(n + "_mixer", x, p + kMixerConv, d, 1, k, 1, d);
    const std::string f = conv_ffn(n, mixed, p, d, h);
    const std::string ls = vec(p + kLayerScale, d, {1, d, 1, 1});
    return binary("add", n + "_out", mixed, binary("mul", n + "_ffn_scaled", f, ls));
}

std::string TowerBuilder::attention_block(const std::string& n, const std::string& x, const std::string& p, int64_t d,
                                          int64_t h) {
    const TensorType xt = b_.type_of(x);
    const int64_t H = xt.shape[2], W = xt.shape[3], N = H * W, hd = cfg_.attention_head_dim, heads = d / hd;
    const std::string gamma = vec(weight(p + kAttnNorm), d, {d}), beta = vec(bias(p + kAttnNorm), d, {d});
    const std::string normed =
        b_.op("layer_norm", n + "_norm", {{"x", x}, {"gamma", gamma}, {"beta", beta}},
              {{"axes", vector_int32({1})}, {"epsilon", scalar_fp32(VisionConfig::kNormEps)}}, xt);
    // q, k, v: the rows [0, d), [d, 2d), [2d, 3d) of the fused qkv weight, each a 1x1 conv.
    auto part = [&](int i, const char* tag) {
        const std::string w = matrix(weight(p + kAttnQkv), {3 * d, d}, {d, d, 1, 1}, {}, i * d, d,
                                     std::string("_") + tag);
        return reshape(n + "_" + tag + "_heads", conv(n + "_" + tag, normed, w, "", 1, 1), {heads, hd, N});
    };
    const std::string q_t = part(0, "q"), k_t = part(1, "k"), v_t = part(2, "v");  // [heads, hd, N] each
    const std::string q = transpose(n + "_q_rows", q_t, {0, 2, 1});              // [heads, N, hd]
    const std::string scale = b_.constant(n + "_attn_scale", scalar_fp32(1.0f / std::sqrt(float(hd))));
    const std::string qs = binary("mul", n + "_q_scaled", q, scale);
    const std::string scores = matmul(n + "_scores", qs, k_t, false);  // [heads, N, N]
    const std::string probs = unary("softmax", n + "_probs", scores, {{"axis", scalar_int32(-1)}});
    const std::string out_t = matmul(n + "_attn_t", v_t, probs, true);  // [heads, hd, N] = (probs v)^T
    const std::string attn = reshape(n + "_attn", out_t, {1, d, H, W});
    const std::string proj = conv(n + "_proj", attn, matrix(weight(p + kAttnProj), {d, d}, {d, d, 1, 1}),
                                  vec(bias(p + kAttnProj), d, {d}), 1, 1);
    const std::string ls1 = vec(p + kLayerScale1, d, {1, d, 1, 1});
    const std::string x1 = binary("add", n + "_attn_out", x, binary("mul", n + "_attn_scaled", proj, ls1));
    const std::string f = conv_ffn(n, x1, p, d, h);
    const std::string ls2 = vec(p + kLayerScale2, d, {1, d, 1, 1});
    return binary("add", n + "_out", x1, binary("mul", n + "_ffn_scaled", f, ls2));
}

std::string TowerBuilder::patch_embed(const std::string& n, const std::string& x, const std::string& p, int64_t ci,
                                      int64_t co) {
    const int k = cfg_.down_patch_size;
    std::string y = gelu(n + "_down_gelu", conv_bias(n + "_down", x, p + kPatchEmbedDown, co, 1, k, 2, ci));
    return gelu(n + "_proj_gelu", conv_bias(n + "_proj", y, p + kPatchEmbedProj, co, co, 1, 1, 1));
}

std::string TowerBuilder::conv_exp(const std::string& x) {
    const int64_t ci = cfg_.embed_dims.back(), co = cfg_.out_channels(), se = cfg_.se_channels();
    const std::string path = kConvExp;
    const std::string y = conv_bias("conv_exp", x, path + kReparamConv, co, 1, VisionConfig::kStemKernel, 1, ci);
    const std::string pooled = b_.op("reduce_mean", "conv_exp_se_pool", {{"x", y}},
                                     {{"axes", vector_int32({2, 3})}, {"keep_dims", scalar_bool(true)}},
                                     {DataType::Float32, {1, co, 1, 1}});
    std::string s = conv_bias("conv_exp_se_reduce", pooled, path + kSeReduce, se, co, 1, 1, 1);
    s = unary("relu", "conv_exp_se_relu", s);
    s = conv_bias("conv_exp_se_expand", s, path + kSeExpand, co, se, 1, 1, 1);
    s = unary("sigmoid", "conv_exp_se_gate", s);
    const std::string gated = binary("mul", "conv_exp_se_out", y, s);
    return gelu("conv_exp_gelu", gated);
}

BuiltProgram TowerBuilder::build() {
    check_tensors();
    const int64_t S = cfg_.image_size, c0 = cfg_.embed_dims[0], ks = VisionConfig::kStemKernel;
    b_.input(kInputName, {DataType::Float32, {1, 3, S, S}});

    auto stem = [](int i) { return vision_stem(i) + kReparamConv; };
    std::string x = gelu("stem_0_gelu", conv_bias("stem_0", kInputName, stem(0), c0, 3, int(ks), 2, 1));
    x = gelu("stem_1_gelu", conv_bias("stem_1", x, stem(1), c0, 1, int(ks), 2, c0));
    x = gelu("stem_2_gelu", conv_bias("stem_2", x, stem(2), c0, c0, 1, 1, 1));
    for (const NetworkEntry& e : model::network_layout(cfg_)) {
        const int64_t d = cfg_.embed_dims[size_t(e.stage)];
        const std::string p = vision_network(e.index);
        const std::string n = "network_" + std::to_string(e.index);
        switch (e.kind) {
            case NetworkEntry::Kind::PatchEmbed:
                x = patch_embed(n, x, p, cfg_.embed_dims[size_t(e.stage - 1)], d);
                break;
            case NetworkEntry::Kind::RepCPE:
                x = conv_bias(n + "_cpe", x, p + kReparamConv, d, 1, VisionConfig::kRepCPEKernel, 1, d);
                break;
            case NetworkEntry::Kind::Blocks:
                for (int blk = 0; blk < cfg_.layers[size_t(e.stage)]; ++blk) {
                    const std::string bp = vision_block(e.index, blk), bn = n + "_" + std::to_string(blk);
                    if (cfg_.token_mixers[size_t(e.stage)] == model::TokenMixer::RepMixer)
                        x = repmixer_block(bn, x, bp, d, cfg_.mlp_hidden(e.stage));
                    else
                        x = attention_block(bn, x, bp, d, cfg_.mlp_hidden(e.stage));
                }
                break;
        }
    }
    x = conv_exp(x);
    const int64_t co = cfg_.out_channels(), tokens = cfg_.tokens();
    x = reshape("image_features_flat", x, {1, co, tokens});
    x = transpose(kOutputName, x, {0, 2, 1});
    b_.output(x);

    BuiltProgram out;
    ModelSpec& m = out.spec;
    const TargetInfo& ti = target_info(opt_.target);
    m.specification_version = ti.spec_version;
    m.inputs.push_back({kInputName, "RGB pixels in [0, 1], planar", {1, 3, S, S}, ArrayDataType::Float32});
    m.outputs.push_back({kOutputName, "image tokens (row-major grid) x channels", {1, tokens, co}, ArrayDataType::Float32});
    m.short_description = "FastViT vision tower exported by vlmq";
    m.user_defined = opt_.metadata;
    Function fn;
    fn.inputs.push_back({kInputName, {DataType::Float32, {1, 3, S, S}}});
    fn.opset = ti.opset;
    fn.block = b_.take_block();
    out.operations = int64_t(fn.block.operations.size());
    m.program.functions["main"] = std::move(fn);
    out.weight_bin = blobs_.bytes();
    out.weights = std::move(records_);
    return out;
}

}  // namespace

std::string mil_var_name(std::string tensor) {
    for (char& c : tensor)
        if (c == '.') c = '_';
    return tensor;
}

std::string folded_ffn_bias_name(const std::string& block) { return block + kConvFfn + "conv.folded_bias"; }

BuiltProgram build_fastvit_program(const package::WeightSource& ws, const model::VisionConfig& cfg,
                                   const ProgramOptions& opt) {
    TowerBuilder t(ws, cfg, opt);
    return t.build();
}

}  // namespace vlmq::exporters::coreml
