#include "model/vision_config.h"

#include <cmath>

#include "arch/fastvlm_names.h"
#include "core/error.h"

namespace vlmq::model {

namespace {

constexpr int kMaxImageSize = 4096;  // 4x the released towers' 1024; the stem alone holds c0 * (size/4)^2 floats
constexpr int kMaxWidth = 1 << 16;
constexpr int kMaxBlocks = 4096;

int conv_out(int in, int k, int stride) { return (in + 2 * (k / 2) - k) / stride + 1; }

// An integer-valued product d * ratio, or -1 when it is not (close to) an integer.
int exact_product(int d, double ratio) {
    const double v = d * ratio;
    const double r = std::round(v);
    return std::fabs(v - r) < 1e-6 && r >= 1 && r <= double(kMaxWidth) * 16 ? int(r) : -1;
}

std::vector<int> int_list(const json& obj, const std::string& key, const std::string& where) {
    const json& v = json_field(obj, key, where);
    if (!v.is_array()) fail("{}: field '{}' must be a list, got {}", where, key, v.dump());
    std::vector<int> out;
    for (const json& e : v) {
        if (!e.is_number_integer()) fail("{}: field '{}' must hold integers, got {}", where, key, e.dump());
        const int64_t x = e.get<int64_t>();
        if (x < INT32_MIN || x > INT32_MAX) fail("{}: field '{}' value {} is out of range", where, key, x);
        out.push_back(int(x));
    }
    return out;
}

int small_int(const json& obj, const std::string& key, const std::string& where) {
    const int64_t v = json_int(obj, key, where);
    if (v < INT32_MIN || v > INT32_MAX) fail("{}: field '{}' value {} is out of range", where, key, v);
    return int(v);
}

constexpr std::string_view kTowerNamePrefix = "mobileclip_l_";  // + image size
// vision_tower_config spellings of token_mixers and pos_embs entries.
constexpr const char* kRepMixerName = "repmixer";
constexpr const char* kAttentionName = "attention";
constexpr const char* kRepCPEName = "repcpe";

// "mobileclip_l_1024" -> 1024; fails for towers that are not FastViTHD.
int image_size_from_tower_name(const std::string& name, const std::string& where) {
    if (name.starts_with(kTowerNamePrefix)) {
        const std::string digits = name.substr(kTowerNamePrefix.size());
        if (!digits.empty() && digits.size() <= 6 && digits.find_first_not_of("0123456789") == std::string::npos)
            if (const int size = std::stoi(digits); size >= 1) return size;
    }
    fail("{}: field 'mm_vision_tower' is '{}'; only FastViTHD towers ('mobileclip_l_<size>') are supported", where,
         name);
}

}  // namespace

VisionConfig VisionConfig::from_model_config(const json& config, const std::string& where) {
    VisionConfig cfg;
    if (!config.is_object()) fail("{}: expected a JSON object", where);
    auto vt = config.find("vision_tower_config");
    if (vt == config.end()) {
        if (auto it = config.find("mm_vision_tower"); it != config.end()) {
            if (!it->is_string()) fail("{}: field 'mm_vision_tower' must be a string, got {}", where, it->dump());
            cfg.image_size = image_size_from_tower_name(it->get<std::string>(), where);
        }
        cfg.validate(where);
        return cfg;
    }
    const std::string w = where + ": vision_tower_config";
    if (!vt->is_object()) fail("{} must be a JSON object", w);
    const json& v = *vt;
    cfg.image_size = small_int(v, "image_size", w);
    cfg.layers = int_list(v, "layers", w);
    cfg.embed_dims = int_list(v, "embed_dims", w);

    const json& ratios = json_field(v, "mlp_ratios", w);
    if (!ratios.is_array()) fail("{}: field 'mlp_ratios' must be a list, got {}", w, ratios.dump());
    cfg.mlp_ratios.clear();
    for (const json& r : ratios) {
        if (!r.is_number()) fail("{}: field 'mlp_ratios' must hold numbers, got {}", w, r.dump());
        cfg.mlp_ratios.push_back(r.get<double>());
    }

    const json& mixers = json_field(v, "token_mixers", w);
    if (!mixers.is_array()) fail("{}: field 'token_mixers' must be a list, got {}", w, mixers.dump());
    cfg.token_mixers.clear();
    for (const json& m : mixers) {
        if (m == kRepMixerName)
            cfg.token_mixers.push_back(TokenMixer::RepMixer);
        else if (m == kAttentionName)
            cfg.token_mixers.push_back(TokenMixer::Attention);
        else
            fail("{}: field 'token_mixers' has {}, expected \"repmixer\" or \"attention\"", w, m.dump());
    }

    const json& pos = json_field(v, "pos_embs", w);
    if (!pos.is_array()) fail("{}: field 'pos_embs' must be a list, got {}", w, pos.dump());
    cfg.repcpe.clear();
    for (const json& p : pos) {
        if (p.is_null())
            cfg.repcpe.push_back(false);
        else if (p == kRepCPEName)
            cfg.repcpe.push_back(true);
        else
            fail("{}: field 'pos_embs' has {}, expected null or \"repcpe\"", w, p.dump());
    }

    if (v.contains("repmixer_kernel_size")) cfg.repmixer_kernel_size = small_int(v, "repmixer_kernel_size", w);
    if (v.contains("down_patch_size")) cfg.down_patch_size = small_int(v, "down_patch_size", w);
    if (v.contains("cls_ratio")) cfg.cls_ratio = json_number(v, "cls_ratio", w);
    if (v.contains("projection_dim")) cfg.projection_dim = small_int(v, "projection_dim", w);
    if (v.contains("attention_head_dim")) cfg.attention_head_dim = small_int(v, "attention_head_dim", w);
    cfg.validate(where);
    return cfg;
}

ordered_json VisionConfig::to_json() const {
    ordered_json v;
    v["image_size"] = image_size;
    v["layers"] = layers;
    v["embed_dims"] = embed_dims;
    ordered_json ratios = ordered_json::array(), mixers = ordered_json::array(), pos = ordered_json::array();
    for (double r : mlp_ratios)  // integers as such, as in the released configs ("4", not "4.0")
        ratios.push_back(r == std::floor(r) && std::fabs(r) < 1e9 ? ordered_json(int64_t(r)) : ordered_json(r));
    for (TokenMixer m : token_mixers) mixers.push_back(m == TokenMixer::Attention ? kAttentionName : kRepMixerName);
    for (bool cpe : repcpe) pos.push_back(cpe ? ordered_json(kRepCPEName) : ordered_json(nullptr));
    v["mlp_ratios"] = ratios;
    v["token_mixers"] = mixers;
    v["pos_embs"] = pos;
    v["repmixer_kernel_size"] = repmixer_kernel_size;
    v["down_patch_size"] = down_patch_size;
    v["cls_ratio"] = cls_ratio;
    v["projection_dim"] = projection_dim;
    v["attention_head_dim"] = attention_head_dim;
    return v;
}

std::string VisionConfig::tower_name() const { return std::string(kTowerNamePrefix) + std::to_string(image_size); }

void VisionConfig::validate(const std::string& where) const {
    const std::string w = where + ": vision_tower_config";
    if (image_size < 1 || image_size > kMaxImageSize)
        fail("{}.image_size is {}, expected 1..{}", w, image_size, kMaxImageSize);
    const size_t n = layers.size();
    if (n == 0 || n > 16) fail("{}.layers has {} stages, expected 1..16", w, n);
    auto same_length = [&](size_t len, const char* field) {
        if (len != n) fail("{}.{} has {} entries but layers has {}", w, field, len, n);
    };
    same_length(embed_dims.size(), "embed_dims");
    same_length(mlp_ratios.size(), "mlp_ratios");
    same_length(token_mixers.size(), "token_mixers");
    same_length(repcpe.size(), "pos_embs");
    // The stem halves the side twice and each later stage's patch embedding once more.
    const int64_t downsampling = int64_t(1) << (n + 1);
    if (image_size % downsampling != 0)
        fail("{}.image_size is {}, not a multiple of {} (the tower halves the side {} times for {} stages)", w,
             image_size, downsampling, n + 1, n);
    for (size_t i = 0; i < n; ++i) {
        if (layers[i] < 1 || layers[i] > kMaxBlocks) fail("{}.layers[{}] is {}, expected 1..{}", w, i, layers[i], kMaxBlocks);
        if (embed_dims[i] < 1 || embed_dims[i] > kMaxWidth)
            fail("{}.embed_dims[{}] is {}, expected 1..{}", w, i, embed_dims[i], kMaxWidth);
        if (i > 0 && embed_dims[i] % embed_dims[i - 1] != 0)
            fail("{}.embed_dims[{}] is {}, not a multiple of embed_dims[{}] = {} (grouped patch embedding)", w, i,
                 embed_dims[i], i - 1, embed_dims[i - 1]);
        if (!(mlp_ratios[i] > 0) || exact_product(embed_dims[i], mlp_ratios[i]) < 0)
            fail("{}.mlp_ratios[{}] is {}: embed_dims[{}] * ratio must be a positive integer", w, i, mlp_ratios[i], i);
        if (token_mixers[i] == TokenMixer::Attention && attention_head_dim > 0 &&
            embed_dims[i] % attention_head_dim != 0)
            fail("{}.embed_dims[{}] is {}, not a multiple of attention_head_dim {}", w, i, embed_dims[i],
                 attention_head_dim);
    }
    auto odd_kernel = [&](int k, const char* field) {
        if (k < 1 || k > 31 || k % 2 == 0) fail("{}.{} is {}, expected an odd size 1..31", w, field, k);
    };
    odd_kernel(repmixer_kernel_size, "repmixer_kernel_size");
    odd_kernel(down_patch_size, "down_patch_size");
    if (attention_head_dim < 1 || attention_head_dim > 1024)
        fail("{}.attention_head_dim is {}, expected 1..1024", w, attention_head_dim);
    if (!(cls_ratio > 0) || exact_product(embed_dims.back(), cls_ratio) < 0 ||
        exact_product(embed_dims.back(), cls_ratio) % embed_dims.back() != 0)
        fail("{}.cls_ratio is {}: embed_dims[-1] * cls_ratio must be a multiple of embed_dims[-1]", w, cls_ratio);
    if (se_channels() < 1) fail("{}.cls_ratio is {}: the SE bottleneck would have no channels", w, cls_ratio);
    if (projection_dim < 1) fail("{}.projection_dim is {}, expected >= 1", w, projection_dim);
}

int VisionConfig::mlp_hidden(int stage) const { return exact_product(embed_dims[size_t(stage)], mlp_ratios[size_t(stage)]); }

int VisionConfig::out_channels() const { return exact_product(embed_dims.back(), cls_ratio); }

int VisionConfig::se_channels() const { return int(out_channels() * kSERatio); }

int VisionConfig::stem_size() const { return conv_out(conv_out(image_size, kStemKernel, 2), kStemKernel, 2); }

int VisionConfig::stage_size(int stage) const {
    int s = stem_size();
    for (int i = 1; i <= stage; ++i) s = conv_out(s, down_patch_size, 2);
    return s;
}

double VisionConfig::macs() const {
    const double s1 = conv_out(image_size, kStemKernel, 2), s2 = stem_size();
    const double c0 = embed_dims[0];
    double m = s1 * s1 * c0 * 3 * kStemKernel * kStemKernel  // patch_embed.0
               + s2 * s2 * c0 * kStemKernel * kStemKernel     // patch_embed.1 (depthwise)
               + s2 * s2 * c0 * c0;                           // patch_embed.2
    for (int i = 0; i < stages(); ++i) {
        const double n = double(stage_size(i)) * stage_size(i), d = embed_dims[size_t(i)], h = mlp_hidden(i);
        if (i > 0) m += n * d * (down_patch_size * down_patch_size + d);
        if (repcpe[size_t(i)]) m += n * d * kRepCPEKernel * kRepCPEKernel;
        const double ffn = n * d * (kConvFFNKernel * kConvFFNKernel + 2 * h);
        const double mixer = token_mixers[size_t(i)] == TokenMixer::RepMixer
                                 ? n * d * repmixer_kernel_size * repmixer_kernel_size
                                 : n * 4 * d * d + 2 * n * n * d;  // qkv + proj, scores + weighted sum
        m += layers[size_t(i)] * (mixer + ffn);
    }
    const double n = double(grid()) * grid(), co = out_channels();
    m += n * co * kStemKernel * kStemKernel + 2 * co * se_channels();
    return m;
}

std::vector<NetworkEntry> network_layout(const VisionConfig& cfg) {
    std::vector<NetworkEntry> out;
    int index = 0;
    for (int i = 0; i < cfg.stages(); ++i) {
        if (i > 0) out.push_back({NetworkEntry::Kind::PatchEmbed, i, index++});
        if (cfg.repcpe[size_t(i)]) out.push_back({NetworkEntry::Kind::RepCPE, i, index++});
        out.push_back({NetworkEntry::Kind::Blocks, i, index++});
    }
    return out;
}

std::vector<VisionTensor> vision_tensors(const VisionConfig& cfg, bool all_stored) {
    using namespace arch::fastvlm;
    std::vector<VisionTensor> t;
    auto add = [&](std::string name, std::vector<int64_t> shape) { t.push_back({std::move(name), std::move(shape)}); };
    auto conv = [&](const std::string& leaf, int64_t co, int64_t ci, int64_t k, bool with_bias) {
        add(weight(leaf), {co, ci, k, k});
        if (with_bias) add(bias(leaf), {co});
    };
    auto convffn = [&](const std::string& block, int64_t d, int64_t h) {
        const std::string ffn = block + kConvFfn, bn = ffn + kFfnBatchNorm;
        conv(ffn + kFfnConv, d, 1, VisionConfig::kConvFFNKernel, false);
        for (const char* param : {kWeight, kBias, kBnMean, kBnVar}) add(bn + param, {d});
        if (all_stored) t.push_back({bn + kBnCounter, {}, true});
        conv(ffn + kFfnFc1, h, d, 1, true);
        conv(ffn + kFfnFc2, d, h, 1, true);
    };

    const int64_t c0 = cfg.embed_dims[0], ks = VisionConfig::kStemKernel;
    conv(vision_stem(0) + kReparamConv, c0, 3, ks, true);
    conv(vision_stem(1) + kReparamConv, c0, 1, ks, true);
    conv(vision_stem(2) + kReparamConv, c0, c0, 1, true);
    for (const NetworkEntry& e : network_layout(cfg)) {
        const int64_t d = cfg.embed_dims[size_t(e.stage)];
        const std::string p = vision_network(e.index);
        switch (e.kind) {
            case NetworkEntry::Kind::PatchEmbed:
                conv(p + kPatchEmbedDown, d, 1, cfg.down_patch_size, true);
                conv(p + kPatchEmbedProj, d, d, 1, true);
                break;
            case NetworkEntry::Kind::RepCPE: conv(p + kReparamConv, d, 1, VisionConfig::kRepCPEKernel, true); break;
            case NetworkEntry::Kind::Blocks:
                for (int b = 0; b < cfg.layers[size_t(e.stage)]; ++b) {
                    const std::string bp = vision_block(e.index, b);
                    const int64_t h = cfg.mlp_hidden(e.stage);
                    if (cfg.token_mixers[size_t(e.stage)] == TokenMixer::RepMixer) {
                        conv(bp + kMixerConv, d, 1, cfg.repmixer_kernel_size, true);
                        convffn(bp, d, h);
                        add(bp + kLayerScale, {d, 1, 1});
                    } else {
                        add(weight(bp + kAttnNorm), {d});
                        add(bias(bp + kAttnNorm), {d});
                        add(weight(bp + kAttnQkv), {3 * d, d});
                        add(weight(bp + kAttnProj), {d, d});
                        add(bias(bp + kAttnProj), {d});
                        convffn(bp, d, h);
                        add(bp + kLayerScale1, {d, 1, 1});
                        add(bp + kLayerScale2, {d, 1, 1});
                    }
                }
                break;
        }
    }
    const int64_t co = cfg.out_channels(), se = cfg.se_channels();
    const std::string conv_exp = kConvExp;
    conv(conv_exp + kReparamConv, co, 1, ks, true);
    conv(conv_exp + kSeReduce, se, co, 1, true);
    conv(conv_exp + kSeExpand, co, se, 1, true);
    if (all_stored) add(vision_head_proj(), {co, cfg.projection_dim});
    return t;
}

}  // namespace vlmq::model
