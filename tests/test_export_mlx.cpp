// `vlmq export mlx`: names and layouts of mlx-vlm's FastVLM module tree, MLX affine packing, and a
// round trip through an independent implementation of MLX's published dequantization.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "core/error.h"
#include "core/fs_util.h"
#include "core/half.h"
#include "export/mlx/affine.h"
#include "export/mlx/export.h"
#include "io/checkpoint.h"
#include "package/package_reader.h"
#include "qformat/codes.h"
#include "quant/quantizer.h"
#include "arch/fastvlm_arch.h"
#include "test_util.h"

using namespace vlmq;
namespace fs = std::filesystem;
namespace mx = vlmq::exporters::mlx;

namespace {

const char* kMixed = R"({
  "vision_encoder": "int8", "text_encoder": "int5", "fusion_layers": "int3", "decoder": "int4_g64_aff",
  "overrides": {"^model\\.layers\\.0\\.mlp\\.down_proj\\.weight$": "int4_g16_sym",
                "^model\\.layers\\.1\\.self_attn\\.o_proj\\.weight$": "int4_row_sym",
                "^lm_head\\.weight$": "int7_g32_sym"}})";

fs::path adr_config() { return test::data_dir().parent_path().parent_path() / "configs" / "adr-001.json"; }

void quantize_tiny(const fs::path& out, const json& config, const fs::path& model = test::tiny_model_dir()) {
    ThreadPool pool(2);
    Compute c;
    c.pool = &pool;
    quant::QuantizeOptions o;
    o.progress = false;
    quant::quantize_checkpoint(io::Checkpoint(model), quant::QuantConfig::parse(config, "cfg", arch::fastvlm_arch_table()), out, c, o);
}

mx::ExportReport export_dir(const fs::path& src, const fs::path& out, bool only_llm = false, int threads = 2,
                            uint64_t max_shard = 5ull << 30) {
    ThreadPool pool(threads);
    Compute c;
    c.pool = &pool;
    mx::ExportOptions o;
    o.only_llm = only_llm;
    o.progress = false;
    o.max_shard_bytes = max_shard;
    return mx::export_mlx(src, out, o, c);
}

// fp16 bits -> float, written out from the IEEE definition (independent of core/half.h).
float half_value(uint16_t h) {
    const int e = (h >> 10) & 31, m = h & 1023;
    const float v = e == 0 ? std::ldexp(float(m), -24) : e == 31 ? INFINITY : std::ldexp(float(m + 1024), e - 25);
    return (h & 0x8000) ? -v : v;
}

// An exported MLX directory: every tensor by name, wherever its shard is.
class MlxDir {
public:
    explicit MlxDir(const fs::path& dir) : dir_(dir) {
        const json index = read_json_file(dir / "model.safetensors.index.json");
        for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
            const std::string file = it.value().get<std::string>();
            if (!files_.count(file)) files_[file] = std::make_unique<io::SafetensorsFile>(dir / file);
            where_[it.key()] = file;
        }
        total_size_ = index["metadata"]["total_size"].get<int64_t>();
    }
    std::set<std::string> names() const {
        std::set<std::string> out;
        for (const auto& [n, f] : where_) out.insert(n);
        return out;
    }
    bool has(const std::string& n) const { return where_.count(n) > 0; }
    const io::TensorInfo& info(const std::string& n) const {
        const io::TensorInfo* t = files_.at(where_.at(n))->find(n);
        if (!t) throw std::runtime_error(n + " not in its shard");
        return *t;
    }
    std::span<const std::byte> bytes(const std::string& n) const { return files_.at(where_.at(n))->data(info(n)); }
    std::vector<uint16_t> u16(const std::string& n) const {
        std::vector<uint16_t> v(bytes(n).size() / 2);
        std::memcpy(v.data(), bytes(n).data(), v.size() * 2);
        return v;
    }
    std::vector<float> halfs(const std::string& n) const {
        std::vector<float> v;
        for (uint16_t h : u16(n)) v.push_back(half_value(h));
        return v;
    }
    int64_t total_size() const { return total_size_; }
    json config() const { return read_json_file(dir_ / "config.json"); }

private:
    fs::path dir_;
    std::map<std::string, std::unique_ptr<io::SafetensorsFile>> files_;
    std::map<std::string, std::string> where_;
    int64_t total_size_ = 0;
};

// MLX's published affine dequantization (mlx/ops.cpp affine_dequantize): each row of `weight` (uint32) is an
// LSB-first stream of `bits`-bit codes; w = scales * q + biases per group of `group` elements.
std::vector<float> mlx_dequantize(const MlxDir& d, const std::string& module, int bits, int group) {
    const io::TensorInfo& wi = d.info(module + ".weight");
    EXPECT_EQ(wi.dtype, DType::U32) << module;
    EXPECT_EQ(d.info(module + ".scales").dtype, DType::F16) << module;
    EXPECT_EQ(d.info(module + ".biases").dtype, DType::F16) << module;
    const int64_t rows = wi.shape[0], words = wi.shape[1], cols = words * 32 / bits;
    std::vector<uint32_t> w(size_t(rows * words));
    std::memcpy(w.data(), d.bytes(module + ".weight").data(), w.size() * 4);
    const auto scales = d.halfs(module + ".scales"), biases = d.halfs(module + ".biases");
    EXPECT_EQ(int64_t(scales.size()), rows * cols / group) << module;
    std::vector<float> out(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j) {
            const int64_t bit = j * bits, word = r * words + bit / 32, shift = bit % 32;
            uint64_t v = w[size_t(word)] >> shift;
            if (shift + bits > 32) v |= uint64_t(w[size_t(word + 1)]) << (32 - shift);
            const uint32_t q = uint32_t(v) & ((1u << bits) - 1);
            const size_t g = size_t(r * (cols / group) + j / group);
            out[size_t(r * cols + j)] = scales[g] * float(q) + biases[g];
        }
    return out;
}

struct Stats {
    int passthrough = 0, requantized = 0, floats = 0;
};

// Every exported tensor against vlmq's dequantization of the source: exact for passthrough, within the
// RTN bound (half a step + fp16 rounding of the parameters) for re-quantized, fp16 rounding for floats.
void check_round_trip(const fs::path& src, const fs::path& dir, const mx::ExportReport& r, Stats* stats = nullptr) {
    const MlxDir d(dir);
    const auto vlmq = package::open_weights(src);
    Stats dummy;
    Stats& st = stats ? *stats : dummy;
    for (const auto& t : r.tensors) {
        const mx::ExportPlanEntry& e = *t.entry;
        if (e.action == mx::Action::Drop) continue;
        SCOPED_TRACE(e.source.name);
        const std::vector<float> want = vlmq->get_f32(e.source.name);
        const std::string& mod = e.target->module;
        if (e.action == mx::Action::Float) {
            ++st.floats;
            const auto got = d.halfs(e.target->name);
            const auto& s = e.source.shape;
            const bool conv = s.size() == 4 && e.target->param == "weight";
            ASSERT_EQ(got.size(), want.size());
            for (size_t i = 0; i < want.size(); ++i) {
                size_t k = i;  // OHWI position of OIHW element i
                if (conv) {
                    const size_t kw = size_t(s[3]), kh = size_t(s[2]), in = size_t(s[1]);
                    const size_t x = i % kw, y = i / kw % kh, c = i / (kw * kh) % in, o = i / (kw * kh * in);
                    k = ((o * kh + y) * kw + x) * in + c;
                }
                ASSERT_LE(std::fabs(got[k] - want[i]), std::fabs(want[i]) * 0x1p-11f + 0x1p-25f) << i;
            }
            continue;
        }
        const auto got = mlx_dequantize(d, mod, e.bits, e.group_size);
        ASSERT_EQ(got.size(), want.size());
        if (e.action == mx::Action::Passthrough) {
            ++st.passthrough;
            for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << i;
        } else {
            ++st.requantized;
            // MLX's rule makes zero exact by rounding edge/scale to an integer, which can shrink the grid so the
            // far end is clipped: the error bound is one step (plus 2^(1-b) of it), not half a step.
            const auto scales = d.halfs(mod + ".scales"), biases = d.halfs(mod + ".biases");
            const float n_bins = float((1 << e.bits) - 1);
            for (size_t i = 0; i < want.size(); ++i) {
                const size_t g = i / size_t(e.group_size);
                const float s = std::fabs(scales[g]);
                const float bound = s * (1.0f + 2.0f / float(1 << e.bits)) + (std::fabs(biases[g]) + n_bins * s) * 0x1p-10f;
                ASSERT_LE(std::fabs(got[i] - want[i]), bound) << i;
            }
        }
        EXPECT_GE(t.max_abs_diff, 0.0);
    }
}

const mx::TensorResult& result(const mx::ExportReport& r, const std::string& source) {
    for (const auto& t : r.tensors)
        if (t.entry->source.name == source) return t;
    throw std::runtime_error("no tensor " + source);
}

// The parameter tree of mlx-vlm's FastVLM Model (mlx_vlm/models/fastvlm/{fastvlm,vision,language}.py) for the
// tiny model: FastViT layers [1,1,2,1,1], RepCPE before stages 3 and 4, two Qwen2 layers, untied lm_head.
std::set<std::string> expected_mlx_vlm_params() {
    std::set<std::string> p;
    const std::string v = "vision_tower.vision_model.";
    for (int i = 0; i < 3; ++i)
        for (const char* s : {"weight", "bias"}) p.insert(v + "patch_embed.blocks." + std::to_string(i) + ".reparam_conv." + s);
    auto convffn = [&](const std::string& b) {
        for (const char* s : {"convffn.conv.conv.weight", "convffn.conv.bn.weight", "convffn.conv.bn.bias",
                              "convffn.conv.bn.running_mean", "convffn.conv.bn.running_var", "convffn.fc1.weight",
                              "convffn.fc1.bias", "convffn.fc2.weight", "convffn.fc2.bias"})
            p.insert(b + s);
    };
    const int layers[5] = {1, 1, 2, 1, 1};
    int n = 0;
    for (int stage = 0; stage < 5; ++stage) {
        if (stage >= 3) {  // RepCPE
            p.insert(v + "network." + std::to_string(n) + ".reparam_conv.weight");
            p.insert(v + "network." + std::to_string(n++) + ".reparam_conv.bias");
        }
        for (int b = 0; b < layers[stage]; ++b) {
            const std::string blk = v + "network." + std::to_string(n) + "." + std::to_string(b) + ".";
            convffn(blk);
            if (stage < 3) {
                p.insert(blk + "token_mixer.reparam_conv.weight");
                p.insert(blk + "token_mixer.reparam_conv.bias");
                p.insert(blk + "layer_scale");
            } else {
                for (const char* s : {"norm.weight", "norm.bias", "token_mixer.qkv.weight", "token_mixer.proj.weight",
                                      "token_mixer.proj.bias", "layer_scale_1", "layer_scale_2"})
                    p.insert(blk + s);
            }
        }
        ++n;
        if (stage < 4) {  // PatchEmbed
            const std::string pe = v + "network." + std::to_string(n++) + ".proj.";
            for (const char* s : {"0.lkb_reparam.weight", "0.lkb_reparam.bias", "1.reparam_conv.weight", "1.reparam_conv.bias"})
                p.insert(pe + s);
        }
    }
    for (const char* s : {"conv_exp.reparam_conv.weight", "conv_exp.reparam_conv.bias", "conv_exp.se.reduce.weight",
                          "conv_exp.se.reduce.bias", "conv_exp.se.expand.weight", "conv_exp.se.expand.bias", "head.proj"})
        p.insert(v + s);
    for (const char* s : {"mm_projector.0.weight", "mm_projector.0.bias", "mm_projector.2.weight", "mm_projector.2.bias",
                          "language_model.model.embed_tokens.weight", "language_model.model.norm.weight",
                          "language_model.lm_head.weight"})
        p.insert(s);
    for (int l = 0; l < 2; ++l) {
        const std::string b = "language_model.model.layers." + std::to_string(l) + ".";
        for (const char* s : {"self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.weight",
                              "self_attn.k_proj.bias", "self_attn.v_proj.weight", "self_attn.v_proj.bias",
                              "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
                              "mlp.down_proj.weight", "input_layernorm.weight", "post_attention_layernorm.weight"})
            p.insert(b + s);
    }
    return p;
}

// `params` with every quantized module's weight expanded into weight + scales + biases.
std::set<std::string> with_quantized(std::set<std::string> params, const MlxDir& d) {
    for (const auto& n : d.names())
        if (n.ends_with(".scales")) {
            const std::string mod = n.substr(0, n.size() - 7);
            params.insert(mod + ".scales");
            params.insert(mod + ".biases");
        }
    return params;
}

}  // namespace

TEST(MlxAffine, PacksThreeAndSixBitCodesAsOneLsbFirstStream) {
    for (const auto& [bits, words] : std::vector<std::pair<int, std::vector<uint32_t>>>{
             {3, {0x88fac688u, 0xc688fac6u, 0xfac688fau}}, {6, {0x543ca140u, 0x2b688de6u, 0x2c607cdfu}}}) {
        SCOPED_TRACE(bits);
        qformat::QMatrixBuffer q(qformat::Format::integer(bits, 32, false), 1, 32);
        std::vector<uint8_t> codes(32);
        for (int j = 0; j < 32; ++j) codes[size_t(j)] = uint8_t(bits == 3 ? j % 8 : (j * 5) % 64);
        qformat::pack_codes(codes.data(), 32, bits, q.data.data());
        q.scales = {f32_to_f16(0.5f)};
        q.biases = {f32_to_f16(-1.0f)};
        mx::AffineMatrix a;
        ASSERT_TRUE(mx::affine_from_vlmq({}, q.view(), bits, 32, a, nullptr));
        ASSERT_EQ(a.words.size(), size_t(bits));
        for (size_t i = 0; i < 3; ++i) EXPECT_EQ(a.words[i], words[i]) << i;
        std::vector<float> w(32);
        mx::affine_dequantize_row(a, 0, w.data());
        for (int j = 0; j < 32; ++j) EXPECT_EQ(w[size_t(j)], 0.5f * codes[size_t(j)] - 1.0f);
    }
}

TEST(MlxAffine, SymmetricCodesBecomeAffineWithBiasMinusScaleTimesOffset) {
    // int5 g64 symmetric, one row of 128: codes widened to 6 bits, each vlmq group split into two MLX g32 groups.
    qformat::QMatrixBuffer q(qformat::Format::integer(5, 64, true), 1, 128);
    std::vector<uint8_t> codes(128);
    for (int j = 0; j < 128; ++j) codes[size_t(j)] = uint8_t((j * 7) % 32);
    qformat::pack_codes(codes.data(), 128, 5, q.data.data());
    q.scales = {f32_to_f16(-0.0123f), f32_to_f16(3.0e-6f)};  // the second one is an fp16 subnormal
    mx::AffineMatrix a;
    ASSERT_TRUE(mx::affine_from_vlmq({}, q.view(), 6, 32, a, nullptr));
    ASSERT_EQ(a.scales.size(), 4u);
    EXPECT_EQ(a.scales[0], q.scales[0]);
    EXPECT_EQ(a.scales[1], q.scales[0]);
    EXPECT_EQ(a.scales[3], q.scales[1]);
    EXPECT_EQ(f16_to_f32(a.biases[0]), -16.0f * f16_to_f32(q.scales[0]));
    EXPECT_EQ(f16_to_f32(a.biases[2]), -16.0f * f16_to_f32(q.scales[1]));
    std::vector<float> got(128), want(128);
    mx::affine_dequantize_row(a, 0, got.data());
    qformat::dequantize_row_ref(q.view(), 0, want.data());
    EXPECT_EQ(got, want);
    // A bias beyond fp16 (scale 1000 * 128 at 8 bits) is refused, naming row and group.
    qformat::QMatrixBuffer big(qformat::Format::integer(8, 32, true), 1, 32);
    big.scales = {f32_to_f16(1000.0f)};
    std::string why;
    EXPECT_FALSE(mx::affine_from_vlmq({}, big.view(), 8, 32, a, &why));
    EXPECT_NE(why.find("row 0, group 0"), std::string::npos) << why;
}

TEST(MlxAffine, RtnFollowsMlxParameterRule) {
    // One group of 32: min -1 (larger magnitude) -> scale 1.5/15 = 0.1, edge -1, q0 = -10, scale = 0.1, bias -1.
    std::vector<float> w(32);
    for (int j = 0; j < 32; ++j) w[size_t(j)] = -1.0f + 1.5f * float(j) / 31.0f;
    const mx::AffineMatrix a = mx::affine_quantize_rtn({}, w.data(), 1, 32, 4, 32);
    EXPECT_EQ(a.scales[0], f32_to_f16(0.1f));
    EXPECT_EQ(a.biases[0], f32_to_f16(-1.0f));
    std::vector<float> back(32);
    mx::affine_dequantize_row(a, 0, back.data());
    for (int j = 0; j < 32; ++j) EXPECT_LE(std::fabs(back[size_t(j)] - w[size_t(j)]), 0.05f + 1e-3f) << j;
    EXPECT_EQ(back[0], -1.0f);
    // max has the larger magnitude: negative scale, bias = max.
    for (auto& x : w) x = -x;
    const mx::AffineMatrix b = mx::affine_quantize_rtn({}, w.data(), 1, 32, 4, 32);
    EXPECT_EQ(b.scales[0], f32_to_f16(-0.1f));
    EXPECT_EQ(b.biases[0], f32_to_f16(1.0f));
}

TEST(ExportMlx, AdrPackageRoundTripsExactly) {
    test::TempDir dir;
    quantize_tiny(dir / "adr.vlmq", read_json_file(adr_config()));
    const auto r = export_dir(dir / "adr.vlmq", dir / "mlx");
    Stats st;
    ASSERT_NO_FATAL_FAILURE(check_round_trip(dir / "adr.vlmq", dir / "mlx", r, &st));
    // Quantized linears and the embedding pass through; convs, head.proj, norms, biases and the fp16
    // projector are floats; nothing needs re-quantization.
    EXPECT_EQ(st.requantized, 0);
    EXPECT_EQ(st.passthrough, 2 * 7 + 2 /*qkv, proj*/ * 2 + 2 /*embed, lm_head*/);
    EXPECT_EQ(result(r, "model.embed_tokens.weight").entry->bits, 8);
    EXPECT_EQ(result(r, "model.embed_tokens.weight").entry->group_size, 128);  // int8 per row of 128
    EXPECT_EQ(result(r, "model.layers.0.mlp.down_proj.weight").entry->group_size, 32);
    EXPECT_EQ(result(r, "model.vision_tower.vision_tower.model.network.4.0.convffn.fc1.weight").entry->action,
              mx::Action::Float);
    for (const auto& c : r.components) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(c.max_abs_diff_passthrough, 0.0);
        EXPECT_EQ(c.requantized, 0);
        EXPECT_LT(c.max_abs_diff_float, 1e-3);
    }
    // config.json: dominant int4 g32, the int8 embedding and the fp16 projector listed per layer.
    const json cfg = MlxDir(dir / "mlx").config();
    const json& q = cfg["quantization"];
    EXPECT_EQ(q["group_size"], 32);
    EXPECT_EQ(q["bits"], 4);
    EXPECT_EQ(q["language_model.model.embed_tokens"], (json{{"group_size", 128}, {"bits", 8}}));
    EXPECT_EQ(q["mm_projector.0"], false);
    EXPECT_EQ(q["mm_projector.2"], false);
    EXPECT_FALSE(q.contains("language_model.model.layers.0.mlp.up_proj"));
    EXPECT_EQ(q.size(), 2u + 3u);
    EXPECT_EQ(cfg["quantization_config"], q);
    EXPECT_EQ(cfg["model_type"], "llava_qwen2");
    EXPECT_EQ(cfg["tie_word_embeddings"], false);
    EXPECT_FALSE(cfg.contains("torch_dtype"));
    EXPECT_TRUE(fs::exists(dir / "mlx" / "tokenizer.json"));
    EXPECT_TRUE(fs::exists(dir / "mlx" / "generation_config.json"));
    // Report sizes agree with the directory.
    uint64_t on_disk = 0;
    for (const auto& e : fs::directory_iterator(dir / "mlx")) on_disk += e.file_size();
    EXPECT_EQ(r.dir_bytes, on_disk);
    EXPECT_EQ(MlxDir(dir / "mlx").total_size(), r.tensor_bytes);
}

TEST(ExportMlx, MixedFormatsPassThroughOrRequantizeWithinTheRtnBound) {
    test::TempDir dir;
    quantize_tiny(dir / "mixed.vlmq", json::parse(kMixed));
    const auto r = export_dir(dir / "mixed.vlmq", dir / "mlx");
    Stats st;
    ASSERT_NO_FATAL_FAILURE(check_round_trip(dir / "mixed.vlmq", dir / "mlx", r, &st));
    EXPECT_EQ(st.requantized, 1);  // only the g16 override
    const auto& down = *result(r, "model.layers.0.mlp.down_proj.weight").entry;
    EXPECT_EQ(down.action, mx::Action::Requantize);
    EXPECT_EQ(down.group_size, 32);  // 352 columns: --group-size 64 does not divide, 32 does
    EXPECT_GT(result(r, "model.layers.0.mlp.down_proj.weight").max_abs_diff, 0.0);
    const auto& o = *result(r, "model.layers.1.self_attn.o_proj.weight").entry;
    EXPECT_EQ(o.action, mx::Action::Passthrough);  // per-row group of 128 split into g128
    EXPECT_EQ(o.group_size, 128);
    const auto& lm = *result(r, "lm_head.weight").entry;
    EXPECT_EQ(lm.action, mx::Action::Passthrough);  // 7-bit codes widened to 8
    EXPECT_EQ(lm.bits, 8);
    EXPECT_EQ(result(r, "model.embed_tokens.weight").entry->bits, 6);  // int5 widened
    EXPECT_EQ(result(r, "model.mm_projector.0.weight").entry->bits, 3);
    EXPECT_EQ(result(r, "model.vision_tower.vision_tower.model.network.10.0.token_mixer.qkv.weight").entry->bits, 8);

    // The dominant format counts parameters: the vision attention linears (int8 per row -> b8 g128, 327,680
    // weights) outweigh the decoder's int4_g64_aff layers (262,144), which are then listed per layer.
    const json q = MlxDir(dir / "mlx").config()["quantization"];
    EXPECT_EQ(q["group_size"], 128);
    EXPECT_EQ(q["bits"], 8);
    EXPECT_FALSE(q.contains("vision_tower.vision_model.network.7.0.token_mixer.qkv"));
    EXPECT_EQ(q["language_model.model.layers.0.mlp.up_proj"], (json{{"group_size", 64}, {"bits", 4}}));
    EXPECT_EQ(q["language_model.model.layers.0.mlp.down_proj"], (json{{"group_size", 32}, {"bits", 4}}));
    EXPECT_EQ(q["language_model.model.layers.1.mlp.down_proj"], (json{{"group_size", 32}, {"bits", 4}}));  // 352 cols: g64 -> g32
    EXPECT_EQ(q["language_model.model.layers.1.self_attn.o_proj"], (json{{"group_size", 128}, {"bits", 4}}));
    EXPECT_EQ(q["language_model.lm_head"], (json{{"group_size", 32}, {"bits", 8}}));
    EXPECT_EQ(q["language_model.model.embed_tokens"], (json{{"group_size", 32}, {"bits", 6}}));
    EXPECT_EQ(q["mm_projector.0"], (json{{"group_size", 32}, {"bits", 3}}));
    EXPECT_EQ(r.per_layer_entries, 2 * 7 + 4);  // all decoder linears, lm_head, embedding, both projector linears
    EXPECT_EQ(q.size(), 2u + size_t(r.per_layer_entries));
}

TEST(ExportMlx, NamesAndLayoutsMatchTheMlxVlmModuleTree) {
    test::TempDir dir;
    const auto r = export_dir(test::tiny_model_dir(), dir / "mlx");
    const MlxDir d(dir / "mlx");
    EXPECT_EQ(d.names(), expected_mlx_vlm_params());
    const io::Checkpoint ckpt(test::tiny_model_dir());
    const std::string p = "model.vision_tower.vision_tower.model.";
    // Conv kernels OIHW -> OHWI, values moved with them.
    const std::pair<const char*, const char*> convs[] = {
        {"patch_embed.0.reparam_conv.weight", "patch_embed.blocks.0.reparam_conv.weight"},
        {"network.1.proj.0.lkb_reparam.weight", "network.1.proj.0.lkb_reparam.weight"},
        {"network.4.1.convffn.fc1.weight", "network.4.1.convffn.fc1.weight"},
        {"conv_exp.se.reduce.weight", "conv_exp.se.reduce.weight"}};
    for (const auto& [src, dst] : convs) {
        SCOPED_TRACE(src);
        std::vector<int64_t> s;
        const auto want = test::read_f32(ckpt.dir() / "model.safetensors", p + src, &s);
        const auto& info = d.info(std::string("vision_tower.vision_model.") + dst);
        ASSERT_EQ(info.shape, (std::vector<int64_t>{s[0], s[2], s[3], s[1]}));
        EXPECT_EQ(info.dtype, DType::F16);
        const auto got = d.halfs(std::string("vision_tower.vision_model.") + dst);
        for (int64_t o = 0; o < s[0]; ++o)
            for (int64_t i = 0; i < s[1]; ++i)
                for (int64_t y = 0; y < s[2]; ++y)
                    for (int64_t x = 0; x < s[3]; ++x)
                        ASSERT_EQ(got[size_t(((o * s[2] + y) * s[3] + x) * s[1] + i)],
                                  half_value(f32_to_f16(want[size_t(((o * s[1] + i) * s[2] + y) * s[3] + x)])));
    }
    // mlx-vlm's sanitize skips its own transposes when patch_embed.blocks.1 is already OHWI (W > C).
    const auto& pe1 = d.info("vision_tower.vision_model.patch_embed.blocks.1.reparam_conv.weight");
    EXPECT_EQ(pe1.shape, (std::vector<int64_t>{16, 3, 3, 1}));
    EXPECT_GT(pe1.shape[2], pe1.shape[3]);
    EXPECT_EQ(d.info("vision_tower.vision_model.network.7.0.layer_scale_1").shape, (std::vector<int64_t>{1, 1, 128}));
    EXPECT_EQ(d.info("vision_tower.vision_model.network.0.0.layer_scale").shape, (std::vector<int64_t>{1, 1, 16}));
    EXPECT_EQ(d.info("vision_tower.vision_model.head.proj").shape, (std::vector<int64_t>{512, 64}));
    EXPECT_EQ(d.info("language_model.model.layers.0.mlp.down_proj.weight").shape, (std::vector<int64_t>{128, 352}));
    // An unquantized checkpoint: every tensor fp16, no quantization block, a warning that the tiny
    // vision tower is not the FastViTHD that mlx-vlm hard-codes.
    for (const auto& n : d.names()) EXPECT_EQ(d.info(n).dtype, DType::F16) << n;
    EXPECT_FALSE(d.config().contains("quantization"));
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("FastViTHD"), std::string::npos);
    int dropped = 0;
    for (const auto& t : r.tensors) dropped += t.entry->action == mx::Action::Drop;
    EXPECT_EQ(dropped, 6);  // num_batches_tracked of the six FastViT blocks
}

TEST(ExportMlx, QuantizedPackageHasScalesAndBiasesForQuantizedModulesOnly) {
    test::TempDir dir;
    quantize_tiny(dir / "adr.vlmq", read_json_file(adr_config()));
    export_dir(dir / "adr.vlmq", dir / "mlx");
    const MlxDir d(dir / "mlx");
    EXPECT_EQ(d.names(), with_quantized(expected_mlx_vlm_params(), d));
    const json q = d.config()["quantization"];
    for (const auto& n : d.names()) {
        if (!n.ends_with(".scales")) continue;
        const std::string mod = n.substr(0, n.size() - 7);
        EXPECT_EQ(d.info(mod + ".weight").dtype, DType::U32) << mod;
        const std::string last = mod.substr(mod.rfind('.') + 1);
        static const std::set<std::string> linear = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                                     "down_proj", "qkv", "proj", "embed_tokens", "lm_head"};
        EXPECT_TRUE(linear.count(last)) << mod;
    }
}

TEST(ExportMlx, OnlyLlmUsesApplesSplitNames) {
    test::TempDir dir;
    quantize_tiny(dir / "adr.vlmq", read_json_file(adr_config()));
    const auto r = export_dir(dir / "adr.vlmq", dir / "mlx", /*only_llm=*/true);
    check_round_trip(dir / "adr.vlmq", dir / "mlx", r);
    const MlxDir d(dir / "mlx");
    std::set<std::string> want;
    for (const auto& n : expected_mlx_vlm_params()) {
        if (n.starts_with("vision_tower.")) continue;
        if (n.starts_with("mm_projector.")) {
            want.insert("multi_modal_projector.linear_" + n.substr(13));
            continue;
        }
        want.insert(n);
    }
    EXPECT_EQ(d.names(), with_quantized(want, d));
    EXPECT_TRUE(d.has("multi_modal_projector.linear_0.weight"));
    EXPECT_EQ(d.info("multi_modal_projector.linear_2.bias").dtype, DType::F16);
    const json q = d.config()["quantization"];
    EXPECT_EQ(q["multi_modal_projector.linear_0"], false);
    EXPECT_FALSE(q.contains("mm_projector.0"));
    EXPECT_EQ(r.components[0].name, "vision_encoder");
    EXPECT_EQ(r.components[0].dropped, r.components[0].tensors);
    EXPECT_EQ(r.components[0].bytes, 0);
    // The tiny config lacks image_token_index; Apple's loader would fall back to 32000.
    bool warned = false;
    for (const auto& w : r.warnings) warned |= w.find("image_token_index") != std::string::npos;
    EXPECT_TRUE(warned);
}

TEST(ExportMlx, OutputIsByteIdenticalAcrossRunsThreadsAndShards) {
    test::TempDir dir;
    quantize_tiny(dir / "m.vlmq", json::parse(kMixed));
    export_dir(dir / "m.vlmq", dir / "a", false, 1);
    export_dir(dir / "m.vlmq", dir / "b", false, 3);
    for (const auto& e : fs::directory_iterator(dir / "a"))
        EXPECT_EQ(read_text_file(e.path()), read_text_file(dir / "b" / e.path().filename())) << e.path().filename();
    // Small shards: several files, the index maps every tensor to the file holding it, same values.
    const auto r = export_dir(dir / "m.vlmq", dir / "s", false, 2, 200'000);
    EXPECT_FALSE(fs::exists(dir / "s" / "model.safetensors"));
    const MlxDir one(dir / "a"), many(dir / "s");
    EXPECT_EQ(one.names(), many.names());
    std::set<std::string> files;
    for (const auto& f : r.files)
        if (f.ends_with(".safetensors")) files.insert(f);
    EXPECT_GE(files.size(), 3u);
    EXPECT_TRUE(files.count(fmt::format("model-00001-of-{:05d}.safetensors", files.size())));
    for (const auto& n : one.names()) {
        const auto a = one.bytes(n), b = many.bytes(n);
        ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << n;
    }
    check_round_trip(dir / "m.vlmq", dir / "s", r);
}

TEST(ExportMlxCli, ExportsWithJsonReport) {
    test::TempDir dir;
    quantize_tiny(dir / "adr.vlmq", read_json_file(adr_config()));
    auto res = test::run_vlmq({"export", "mlx", "--model", (dir / "adr.vlmq").string(), "--out", (dir / "mlx").string(),
                               "--json"});
    ASSERT_EQ(res.exit_code, 0) << res.err;
    const json j = json::parse(res.out);
    EXPECT_EQ(j["target"], "mlx-vlm");
    uint64_t on_disk = 0;
    for (const auto& e : fs::directory_iterator(dir / "mlx")) on_disk += e.file_size();
    EXPECT_EQ(j["dir_bytes"].get<uint64_t>(), on_disk);
    int64_t sum = 0;
    for (auto it = j["components"].begin(); it != j["components"].end(); ++it) sum += (*it)["bytes"].get<int64_t>();
    EXPECT_EQ(sum, j["tensor_bytes"].get<int64_t>());
    EXPECT_EQ(j["components"]["decoder"]["requantized"], 0);
    EXPECT_EQ(j["components"]["decoder"]["max_abs_diff_passthrough"], 0.0);
    EXPECT_EQ(j["tensors"].size(), 150u);
    res = test::run_vlmq({"export", "mlx", "--model", (dir / "adr.vlmq").string(), "--out", (dir / "llm").string(),
                          "--only-llm"});
    ASSERT_EQ(res.exit_code, 0) << res.err;
    EXPECT_NE(res.out.find("decoder"), std::string::npos);
    EXPECT_NE(res.out.find("per-layer entries"), std::string::npos);
}

TEST(ExportMlxCli, BadRequestsGiveOneLineErrorsAndNoOutput) {
    test::TempDir dir;
    auto one_line = [](const test::CommandResult& r) { return std::count(r.err.begin(), r.err.end(), '\n') == 1; };
    auto r = test::run_vlmq({"export", "mlx", "--model", (dir / "nope.vlmq").string(), "--out", (dir / "o").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("nope.vlmq: no such checkpoint directory or .vlmq package"), std::string::npos) << r.err;
    EXPECT_TRUE(one_line(r)) << r.err;

    r = test::run_vlmq({"export", "mlx", "--model", test::tiny_model_dir().string(), "--out", (dir / "o").string(),
                        "--group-size", "48"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--group-size 48"), std::string::npos) << r.err;
    EXPECT_TRUE(one_line(r)) << r.err;

    // A package quantized from a checkpoint without the vision tower: fine for --only-llm, refused otherwise.
    fs::create_directory(dir / "novision");
    for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json"})
        fs::copy_file(test::tiny_model_dir() / f, dir / "novision" / f);
    {
        const io::Checkpoint ckpt(test::tiny_model_dir());
        std::vector<io::OwnedTensor> ts;
        for (const auto& n : ckpt.names()) {
            if (n.starts_with("model.vision_tower.")) continue;
            const auto& ref = ckpt.at(n);
            const auto b = ref.bytes();
            ts.push_back({{n, ref.info->dtype, ref.info->shape}, std::vector<std::byte>(b.begin(), b.end())});
        }
        io::write_safetensors(dir / "novision" / "model.safetensors", ts);
    }
    quantize_tiny(dir / "nv.vlmq", read_json_file(adr_config()), dir / "novision");
    r = test::run_vlmq({"export", "mlx", "--model", (dir / "nv.vlmq").string(), "--out", (dir / "o").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("has no vision tower"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--only-llm"), std::string::npos) << r.err;
    EXPECT_TRUE(one_line(r)) << r.err;
    EXPECT_FALSE(fs::exists(dir / "o"));
    r = test::run_vlmq({"export", "mlx", "--model", (dir / "nv.vlmq").string(), "--out", (dir / "o").string(), "--only-llm"});
    EXPECT_EQ(r.exit_code, 0) << r.err;

    r = test::run_vlmq({"export", "mlx", "--model", test::tiny_model_dir().string(), "--out", (dir / "o2").string(),
                        "--float-dtype", "float8"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--float-dtype float8"), std::string::npos) << r.err;
    for (const auto& e : fs::directory_iterator(dir.path())) EXPECT_NE(e.path().filename(), "o2");
}
