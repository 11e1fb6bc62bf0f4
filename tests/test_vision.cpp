// Vision tower: golden activations of the bundled checkpoints (tiny-a and shapes), config parsing (FastViTHD defaults), and load-time
// validation of tensor shapes.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>

#include "core/error.h"
#include "core/fs_util.h"
#include "arch/fastvlm_names.h"
#include "io/safetensors.h"
#include "model/vision_config.h"
#include "model/vision_tower.h"
#include "test_util.h"

using namespace vlmq;
using namespace vlmq::model;

namespace {

using Taps = std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>>;

Taps run_with_taps(const VisionTower& tower, const Compute& c, const std::vector<float>& pixels,
                   std::vector<float>* out = nullptr) {
    Taps taps;
    ForwardHooks hooks;
    hooks.tap = [&](const std::string& name, const std::vector<int64_t>& shape, const float* data) {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        taps[name] = {shape, std::vector<float>(data, data + n)};
    };
    auto tokens = tower.forward(c, pixels.data(), &hooks);
    if (out) *out = std::move(tokens);
    return taps;
}

using vlmq::test::error_of;

json tiny_config() { return read_json_file(test::tiny_model_dir() / "config.json"); }

}  // namespace

class VisionGolden : public ::testing::TestWithParam<std::tuple<test::BundledModel, int>> {};

TEST_P(VisionGolden, EveryTapMatchesReference) {
    const auto& [model, sample] = GetParam();
    const auto golden = model.golden() / ("sample_" + std::to_string(sample) + ".safetensors");
    auto ws = package::open_weights(model.model());
    const VisionTower tower(*ws);
    ASSERT_EQ(tower.config().image_size, 256);

    std::vector<int64_t> shape;
    const auto pixels = test::read_f32(golden, "pixel_values", &shape);
    ASSERT_EQ(shape, (std::vector<int64_t>{3, 256, 256}));
    ThreadPool pool(2);
    Compute c;
    c.pool = &pool;
    std::vector<float> tokens;
    const Taps taps = run_with_taps(tower, c, pixels, &tokens);

    io::SafetensorsFile gf(golden);
    int compared = 0;
    for (const auto& t : gf.tensors()) {
        if (t.name.rfind("vision.", 0) != 0) continue;
        ASSERT_TRUE(taps.count(t.name)) << "no tap " << t.name;
        const auto& [tshape, data] = taps.at(t.name);
        EXPECT_EQ(tshape, t.shape) << t.name;
        const double ratio = test::max_rel_diff(data, test::read_f32(golden, t.name));
        std::printf("  %s sample %d %-18s max|diff|/max|ref| = %.3g\n", model.name.c_str(), sample, t.name.c_str(),
                    ratio);
        EXPECT_LE(ratio, 1e-4) << t.name;
        ++compared;
    }
    EXPECT_EQ(compared, 13);  // stem + network.0..10 + conv_exp
    EXPECT_EQ(taps.size(), size_t(compared));

    // The returned tokens are conv_exp in [h*w, C] order.
    const auto& conv_exp = taps.at("vision.conv_exp").second;
    ASSERT_EQ(tokens.size(), size_t(16 * 512));
    for (int64_t t = 0; t < 16; ++t)
        for (int64_t ch = 0; ch < 512; ch += 37) ASSERT_EQ(tokens[size_t(t * 512 + ch)], conv_exp[size_t(ch * 16 + t)]);
}

INSTANTIATE_TEST_SUITE_P(Samples, VisionGolden,
                         ::testing::Combine(::testing::ValuesIn(test::golden_models()), ::testing::Values(0, 1, 2)),
                         [](const auto& info) {
                             return std::get<0>(info.param).name + "_sample" + std::to_string(std::get<1>(info.param));
                         });

TEST(VisionTower, ScalarKernelsAgreeAndThreadCountDoesNotChangeResults) {
    const auto golden = test::tiny_golden_dir() / "sample_1.safetensors";
    auto ws = package::open_weights(test::tiny_model_dir());
    const VisionTower tower(*ws);
    const auto pixels = test::read_f32(golden, "pixel_values");
    Compute one;
    const auto a = tower.forward(one, pixels.data());
    ThreadPool pool(3);
    Compute three;
    three.pool = &pool;
    EXPECT_EQ(tower.forward(three, pixels.data()), a);  // bit-identical
    Compute ref;
    ref.reference = true;
    const auto r = tower.forward(ref, pixels.data());
    const double ratio = test::max_rel_diff(r, a);
    std::printf("  scalar vs dispatched kernels: max|diff|/max|ref| = %.3g\n", ratio);
    EXPECT_LE(ratio, 1e-5);
}

TEST(VisionTower, ObservesEveryMatrixInput) {
    auto ws = package::open_weights(test::tiny_model_dir());
    const VisionTower tower(*ws);
    const auto pixels = test::read_f32(test::tiny_golden_dir() / "sample_0.safetensors", "pixel_values");
    std::map<std::string, std::pair<int64_t, int64_t>> seen;  // name -> (M, K)
    ForwardHooks hooks;
    hooks.observe_input = [&](const std::string& name, const float*, int64_t m, int64_t k, int64_t) {
        seen[name] = {m, k};
    };
    tower.forward(Compute{}, pixels.data(), &hooks);
    // 1x1 convs and linears: patch_embed.2, 4 PatchEmbed projections, 6 ConvFFNs x 2, 2 x (qkv + proj), SE x 2.
    EXPECT_EQ(seen.size(), 1u + 4u + 12u + 4u + 2u);
    const std::string p = arch::fastvlm::kVisionPrefix;
    EXPECT_EQ(seen.at(p + "network.4.1.convffn.fc2.weight"), std::make_pair(int64_t(256), int64_t(256)));
    EXPECT_EQ(seen.at(p + "network.10.0.token_mixer.qkv.weight"), std::make_pair(int64_t(16), int64_t(256)));
    EXPECT_EQ(seen.at(p + "conv_exp.se.reduce.weight"), std::make_pair(int64_t(1), int64_t(512)));
}

TEST(VisionConfig, TinyConfigIsRead) {
    const VisionConfig cfg = VisionConfig::from_model_config(tiny_config());
    EXPECT_EQ(cfg.layers, (std::vector<int>{1, 1, 2, 1, 1}));
    EXPECT_EQ(cfg.embed_dims, (std::vector<int>{16, 32, 64, 128, 256}));
    EXPECT_EQ(cfg.out_channels(), 512);
    EXPECT_EQ(cfg.se_channels(), 32);
    EXPECT_EQ(cfg.stem_size(), 64);
    EXPECT_EQ(cfg.grid(), 4);
    EXPECT_EQ(cfg.tokens(), 16);
    EXPECT_EQ(cfg.projection_dim, 64);
}

TEST(VisionConfig, WithoutVisionTowerConfigIsFastViTHD) {
    json config = tiny_config();
    config.erase("vision_tower_config");
    config["mm_vision_tower"] = "mobileclip_l_1024";
    for (int variant = 0; variant < 2; ++variant) {
        if (variant == 1) config.erase("mm_vision_tower");  // nothing at all: still FastViTHD at 1024
        const VisionConfig cfg = VisionConfig::from_model_config(config);
        EXPECT_EQ(cfg.image_size, 1024);
        EXPECT_EQ(cfg.layers, (std::vector<int>{2, 12, 24, 4, 2}));
        EXPECT_EQ(cfg.embed_dims, (std::vector<int>{96, 192, 384, 768, 1536}));
        EXPECT_EQ(cfg.token_mixers[2], TokenMixer::RepMixer);
        EXPECT_EQ(cfg.token_mixers[3], TokenMixer::Attention);
        EXPECT_EQ(cfg.repcpe, (std::vector<bool>{false, false, false, true, true}));
        EXPECT_EQ(cfg.out_channels(), 3072);
        EXPECT_EQ(cfg.se_channels(), 192);
        EXPECT_EQ(cfg.stem_size(), 256);
        EXPECT_EQ(cfg.grid(), 16);
        EXPECT_EQ(cfg.tokens(), 256);
        EXPECT_EQ(cfg.mlp_hidden(0), 384);
        EXPECT_NEAR(cfg.macs() / 1e9, 243.0, 2.5);  // docs: about 243 GMACs at 1024^2
    }
    config["mm_vision_tower"] = "mobileclip_l_512";
    EXPECT_EQ(VisionConfig::from_model_config(config).grid(), 8);
}

TEST(VisionConfig, FastViTHDTensorTableMatchesDocumentedCounts) {
    const auto table = vision_tensors(VisionConfig::fastvithd());
    // 629 keys = these + 44 num_batches_tracked + head.proj.
    EXPECT_EQ(table.size() + 44 + 1, 629u);
    int64_t numel = 0;
    for (const auto& t : table) {
        int64_t n = 1;
        for (int64_t d : t.shape) n *= d;
        numel += n;
    }
    EXPECT_EQ(numel, 122714208 + 35712);  // used parameters + BN running statistics
    const std::vector<NetworkEntry> net = network_layout(VisionConfig::fastvithd());
    ASSERT_EQ(net.size(), 11u);
    EXPECT_EQ(net[6].kind, NetworkEntry::Kind::RepCPE);
    EXPECT_EQ(net[8].kind, NetworkEntry::Kind::PatchEmbed);
    EXPECT_EQ(net[10].stage, 4);
}

TEST(VisionConfig, TinyTensorTableMatchesCheckpoint) {
    auto ws = package::open_weights(test::tiny_model_dir());
    const auto table = vision_tensors(VisionConfig::from_model_config(ws->config()));
    std::set<std::string> expected;
    for (const auto& t : table) {
        expected.insert(arch::fastvlm::kVisionPrefix + t.name);
        const auto w = ws->find(arch::fastvlm::kVisionPrefix + t.name);
        ASSERT_TRUE(w) << t.name;
        EXPECT_EQ(w->shape, t.shape) << t.name;
    }
    for (const auto& name : ws->names()) {
        if (name.rfind(arch::fastvlm::kVisionPrefix, 0) != 0 || name.ends_with("num_batches_tracked") || name.ends_with("head.proj"))
            continue;
        EXPECT_TRUE(expected.count(name)) << "not in the table: " << name;
    }
}

TEST(VisionConfig, BadFieldsAreNamed) {
    auto bad = [](const std::function<void(json&)>& edit) {
        json c = tiny_config();
        edit(c);
        return error_of([&] { VisionConfig::from_model_config(c, "cfg.json"); });
    };
    EXPECT_NE(bad([](json& c) { c["vision_tower_config"]["embed_dims"] = {16, 32}; }).find("embed_dims"),
              std::string::npos);
    EXPECT_NE(bad([](json& c) { c["vision_tower_config"]["token_mixers"][1] = "conv"; }).find("token_mixers"),
              std::string::npos);
    EXPECT_NE(bad([](json& c) { c["vision_tower_config"]["pos_embs"][0] = "sincos"; }).find("pos_embs"),
              std::string::npos);
    EXPECT_NE(bad([](json& c) { c["vision_tower_config"]["image_size"] = 0; }).find("image_size"), std::string::npos);
    EXPECT_NE(bad([](json& c) { c["vision_tower_config"]["attention_head_dim"] = 24; }).find("attention_head_dim"),
              std::string::npos);
    EXPECT_NE(bad([](json& c) { c["vision_tower_config"]["repmixer_kernel_size"] = 4; }).find("repmixer_kernel_size"),
              std::string::npos);
    EXPECT_NE(bad([](json& c) { c["vision_tower_config"].erase("layers"); }).find("layers"), std::string::npos);
    EXPECT_NE(bad([](json& c) { c["vision_tower_config"]["mlp_ratios"][0] = "4"; }).find("mlp_ratios"),
              std::string::npos);
    const std::string tower = bad([](json& c) {
        c.erase("vision_tower_config");
        c["mm_vision_tower"] = "openai/clip-vit-large-patch14";
    });
    EXPECT_NE(tower.find("mm_vision_tower"), std::string::npos) << tower;
    EXPECT_NE(tower.find("cfg.json"), std::string::npos) << tower;
}

namespace {

// Copies the tiny checkpoint into `dir`, giving tensor `target` the shape `new_shape` (same element count), or
// dropping it when new_shape is empty.
void write_modified_checkpoint(const std::filesystem::path& dir, const std::string& target,
                               const std::vector<int64_t>& new_shape) {
    test::copy_tiny_model(dir, [&](io::OwnedTensor& t) {
        if (t.decl.name != target) return true;
        t.decl.shape = new_shape;
        return !new_shape.empty();
    });
}

}  // namespace

TEST(VisionTower, WronglyShapedTensorIsNamed) {
    const std::string p = arch::fastvlm::kVisionPrefix;
    const std::vector<std::pair<std::string, std::vector<int64_t>>> cases = {
        {p + "network.4.1.convffn.fc1.weight", {128, 128, 1, 1}},  // a matrix weight (view)
        {p + "network.3.proj.0.lkb_reparam.weight", {64, 1, 49}},  // a conv kernel (fp32 copy)
        {p + "network.7.0.layer_scale_2", {128}},
        {p + "conv_exp.se.reduce.bias", {}},  // missing
    };
    for (const auto& [name, shape] : cases) {
        test::TempDir dir;
        write_modified_checkpoint(dir.path(), name, shape);
        auto ws = package::open_weights(dir.path());
        const std::string err = error_of([&] { VisionTower tower(*ws); });
        EXPECT_NE(err.find("'" + name + "'"), std::string::npos) << err;
        EXPECT_NE(err.find("vision tower"), std::string::npos) << err;
    }
}
