// Projector and Qwen2 decoder against the reference's golden tensors (tiny-a and shapes), KV-cache consistency,
// generation and sampling determinism, config validation.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>

#include "core/error.h"
#include "model/kv_cache.h"
#include "model/projector.h"
#include "model/qwen2.h"
#include "model/qwen2_generate.h"
#include "model/qwen2_inputs.h"
#include "model/sampling.h"
#include "test_util.h"

namespace vlmq::model {
namespace {

namespace fs = std::filesystem;

constexpr double kGoldenTol = 1e-4;  // max|ours - golden| <= kGoldenTol * max|golden|
constexpr int32_t kImEnd = 450;

fs::path sample_file(int i) { return test::tiny_golden_dir() / ("sample_" + std::to_string(i) + ".safetensors"); }

void expect_close(const std::string& what, const std::vector<float>& ours, const std::vector<float>& golden,
                  double tol) {
    ASSERT_EQ(ours.size(), golden.size()) << what;
    const double ratio = test::max_rel_diff(ours, golden);
    std::printf("  %-28s max|diff|/max|golden| = %.3g\n", what.c_str(), ratio);
    EXPECT_LE(ratio, tol) << what;
}

// [C, H, W] -> [H*W, C]
std::vector<float> chw_to_tokens(const std::vector<float>& chw, const std::vector<int64_t>& shape) {
    const int64_t C = shape[0], HW = shape[1] * shape[2];
    std::vector<float> out(chw.size());
    for (int64_t c = 0; c < C; ++c)
        for (int64_t t = 0; t < HW; ++t) out[size_t(t * C + c)] = chw[size_t(c * HW + t)];
    return out;
}

struct Tap {
    std::vector<int64_t> shape;
    std::vector<float> data;
};

// One bundled model's projector and decoder, loaded once per test suite.
struct LoadedModel {
    explicit LoadedModel(const fs::path& dir)
        : ws(package::open_weights(dir)), projector(*ws), llm(*ws) {}
    std::unique_ptr<package::WeightSource> ws;
    Projector projector;
    Qwen2 llm;
};

// (model, golden sample, scalar reference kernels)
class LlmGolden : public ::testing::TestWithParam<std::tuple<test::BundledModel, int, bool>> {
protected:
    static void TearDownTestSuite() { loaded_.clear(); }
    void SetUp() override {
        const test::BundledModel& m = std::get<0>(GetParam());
        auto& slot = loaded_[m.name];
        if (!slot) slot = std::make_unique<LoadedModel>(m.model());
        projector_ = &slot->projector;
        llm_ = &slot->llm;
        compute_.reference = std::get<2>(GetParam());
    }

    fs::path file() const {
        return std::get<0>(GetParam()).golden() / ("sample_" + std::to_string(std::get<1>(GetParam())) + ".safetensors");
    }

    static inline std::map<std::string, std::unique_ptr<LoadedModel>> loaded_;
    const Projector* projector_ = nullptr;
    const Qwen2* llm_ = nullptr;
    ThreadPool pool_{2};
    Compute compute_{&pool_};
};

TEST_P(LlmGolden, ProjectorMatches) {
    std::vector<int64_t> shape;
    const auto conv_exp = test::read_f32(file(), "vision.conv_exp", &shape);
    ASSERT_EQ(shape.size(), 3u);
    const auto tokens = chw_to_tokens(conv_exp, shape);
    const auto projected = projector_->forward(compute_, tokens.data(), shape[1] * shape[2]);
    expect_close("projected", projected, test::read_f32(file(), "projected"), kGoldenTol);
}

TEST_P(LlmGolden, InputsEmbedsMatch) {
    const auto ids = test::read_i64(file(), "input_ids");
    std::vector<int64_t> pshape;
    const auto projected = test::read_f32(file(), "projected", &pshape);
    const auto embeds = build_inputs_embeds(compute_, *llm_, ids, projected.data(), pshape[0]);
    EXPECT_EQ(multimodal_length(ids, pshape[0]), int64_t(ids.size()) - 1 + pshape[0]);
    // Embedding rows and the copied features are exact.
    expect_close("inputs_embeds", embeds, test::read_f32(file(), "inputs_embeds"), 0.0);
}

TEST_P(LlmGolden, DecoderTapsMatch) {
    std::vector<int64_t> shape;
    const auto embeds = test::read_f32(file(), "inputs_embeds", &shape);
    std::map<std::string, Tap> taps;
    ForwardHooks hooks;
    hooks.tap = [&](const std::string& name, const std::vector<int64_t>& s, const float* d) {
        int64_t n = 1;
        for (int64_t x : s) n *= x;
        taps[name] = Tap{s, std::vector<float>(d, d + n)};
    };
    KvCache cache(llm_->config());
    const auto logits = llm_->forward(compute_, cache, embeds.data(), shape[0], 0, &hooks);
    EXPECT_EQ(cache.length(), shape[0]);
    for (int i = 0; i < llm_->config().num_layers; ++i) {
        const std::string name = "llm.layer." + std::to_string(i);
        ASSERT_TRUE(taps.count(name)) << name;
        EXPECT_EQ(taps[name].shape, shape);
        expect_close(name, taps[name].data, test::read_f32(file(), name), kGoldenTol);
    }
    expect_close("llm.final_norm", taps["llm.final_norm"].data, test::read_f32(file(), "llm.final_norm"), kGoldenTol);
    std::vector<int64_t> lshape;
    const auto golden_logits = test::read_f32(file(), "logits", &lshape);
    EXPECT_EQ(taps["logits"].shape, lshape);
    expect_close("logits", logits, golden_logits, kGoldenTol);
}

TEST_P(LlmGolden, GreedyGenerationMatches) {
    const auto ids = test::read_i64(file(), "input_ids");
    std::vector<int64_t> pshape;
    const auto projected = test::read_f32(file(), "projected", &pshape);
    const auto embeds = build_inputs_embeds(compute_, *llm_, ids, projected.data(), pshape[0]);
    const int64_t L = multimodal_length(ids, pshape[0]);
    KvCache cache(llm_->config());
    DecodeOptions opts;
    opts.max_new_tokens = 64;
    opts.eos_ids = llm_->config().eos_token_ids;
    const DecodeResult r = generate_tokens(compute_, *llm_, cache, embeds.data(), L, opts);
    const auto golden = test::read_i64(file(), "generated_ids");
    EXPECT_EQ(std::vector<int64_t>(r.ids.begin(), r.ids.end()), golden);
    EXPECT_TRUE(r.hit_eos);
    EXPECT_EQ(r.ids.back(), kImEnd);
    EXPECT_EQ(cache.length(), L + int64_t(r.ids.size()) - 1);  // the eos token itself is never fed back
}

TEST_P(LlmGolden, CachedDecodeEqualsFullRecompute) {
    std::vector<int64_t> shape;
    const auto embeds = test::read_f32(file(), "inputs_embeds", &shape);
    const int64_t L = shape[0], H = shape[1], split = L - 9, V = llm_->vocab();
    KvCache full_cache(llm_->config());
    const auto full = llm_->forward(compute_, full_cache, embeds.data(), L, split);

    KvCache cache(llm_->config());
    std::vector<float> stepped = llm_->forward(compute_, cache, embeds.data(), split + 1, split);
    for (int64_t p = split + 1; p < L; ++p) {
        const auto row = llm_->forward(compute_, cache, embeds.data() + p * H, 1, 0);
        ASSERT_EQ(int64_t(row.size()), V);
        stepped.insert(stepped.end(), row.begin(), row.end());
    }
    EXPECT_EQ(cache.length(), L);
    expect_close("cached decode logits", stepped, full, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Samples, LlmGolden,
                         ::testing::Combine(::testing::ValuesIn(test::golden_models()), ::testing::Values(0, 1, 2),
                                            ::testing::Values(false, true)),
                         [](const auto& info) {
                             return std::get<0>(info.param).name + "_sample" + std::to_string(std::get<1>(info.param)) +
                                    (std::get<2>(info.param) ? "_ref" : "_auto");
                         });

// --- generation with sampling ---------------------------------------------------------------------

class LlmSampling : public ::testing::Test {
protected:
    void SetUp() override {
        ws_ = package::open_weights(test::tiny_model_dir());
        llm_ = std::make_unique<Qwen2>(*ws_);
        const auto ids = test::read_i64(sample_file(1), "input_ids");
        std::vector<int64_t> pshape;
        const auto projected = test::read_f32(sample_file(1), "projected", &pshape);
        embeds_ = build_inputs_embeds(compute_, *llm_, ids, projected.data(), pshape[0]);
        rows_ = multimodal_length(ids, pshape[0]);
    }
    std::vector<int32_t> generate(const SamplingOptions& s, int max_new = 24) {
        KvCache cache(llm_->config());
        DecodeOptions opts;
        opts.max_new_tokens = max_new;
        opts.sampling = s;
        return generate_tokens(compute_, *llm_, cache, embeds_.data(), rows_, opts).ids;
    }

    Compute compute_;
    std::unique_ptr<package::WeightSource> ws_;
    std::unique_ptr<Qwen2> llm_;
    std::vector<float> embeds_;
    int64_t rows_ = 0;
};

TEST_F(LlmSampling, SameSeedSameTokens) {
    const SamplingOptions s{1.0, 1.0, 42};
    const auto a = generate(s), b = generate(s);
    EXPECT_EQ(a.size(), 24u);  // no eos ids given: runs to max_new_tokens
    EXPECT_EQ(a, b);
}

TEST_F(LlmSampling, DifferentSeedsDiffer) {
    EXPECT_NE(generate({1.0, 1.0, 1}), generate({1.0, 1.0, 2}));
    EXPECT_NE(generate({1.0, 0.9, 1}), generate({1.0, 0.9, 2}));
}

TEST_F(LlmSampling, TinyTopPIsGreedy) {
    EXPECT_EQ(generate({1.0, 1e-9, 5}, 8), generate({0.0, 1.0, 0}, 8));
}

TEST_F(LlmSampling, StopsAtMaxNewTokensAndEos) {
    KvCache cache(llm_->config());
    DecodeOptions opts;
    opts.max_new_tokens = 3;
    const auto r = generate_tokens(compute_, *llm_, cache, embeds_.data(), rows_, opts);
    EXPECT_EQ(r.ids.size(), 3u);
    EXPECT_FALSE(r.hit_eos);
    // Treat the first greedy token as eos: generation stops right after it.
    KvCache cache2(llm_->config());
    opts.eos_ids = {r.ids[0]};
    const auto r2 = generate_tokens(compute_, *llm_, cache2, embeds_.data(), rows_, opts);
    EXPECT_EQ(r2.ids, std::vector<int32_t>{r.ids[0]});
    EXPECT_TRUE(r2.hit_eos);
}

TEST(Sampling, SamplerDeterministicAndSeedDependent) {
    std::vector<float> logits(50, 0.0f);  // uniform distribution
    auto draw = [&](uint64_t seed) {
        Sampler s({1.0, 1.0, seed});
        std::vector<int32_t> ids;
        for (int i = 0; i < 32; ++i) ids.push_back(s.next(logits.data(), 50));
        return ids;
    };
    EXPECT_EQ(draw(3), draw(3));
    EXPECT_NE(draw(3), draw(4));
    for (int32_t id : draw(5)) EXPECT_LT(id, 50);
}

TEST(Sampling, UniformIsInUnitInterval) {
    Sampler s({1.0, 1.0, 9});
    double lo = 1, hi = 0;
    for (int i = 0; i < 10000; ++i) {
        const double u = s.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        lo = std::min(lo, u);
        hi = std::max(hi, u);
    }
    EXPECT_LT(lo, 0.01);
    EXPECT_GT(hi, 0.99);
}

TEST(Sampling, LimitMasksPaddingIds) {
    std::vector<float> logits{0.0f, 3.0f, 1.0f, 9.0f};
    EXPECT_EQ(argmax(logits.data(), 4), 3);
    EXPECT_EQ(argmax(logits.data(), 3), 1);
    Sampler s({0.7, 0.95, 1});
    for (int i = 0; i < 100; ++i) EXPECT_LT(s.next(logits.data(), 3), 3);
}

TEST(Sampling, TopPKeepsTheNucleus) {
    // p ~ [0.6, 0.3, 0.1]: top_p 0.5 keeps only id 0; 0.8 keeps ids 0 and 1.
    std::vector<float> logits{float(std::log(0.6)), float(std::log(0.3)), float(std::log(0.1))};
    Sampler a({1.0, 0.5, 3});
    Sampler b({1.0, 0.8, 3});
    int seen1 = 0;
    for (int i = 0; i < 200; ++i) {
        EXPECT_EQ(a.next(logits.data(), 3), 0);
        const int32_t id = b.next(logits.data(), 3);
        EXPECT_NE(id, 2);
        seen1 += id == 1;
    }
    EXPECT_GT(seen1, 20);
}

TEST(Sampling, RejectsBadOptions) {
    EXPECT_THROW(Sampler({-1.0, 1.0, 0}), Error);
    EXPECT_THROW(Sampler({1.0, 0.0, 0}), Error);
    EXPECT_THROW(Sampler({1.0, 1.5, 0}), Error);
}

// --- config and input validation ------------------------------------------------------------------

using vlmq::test::error_of;

TEST(Qwen2Config, ReadsTinyConfig) {
    const auto ws = package::open_weights(test::tiny_model_dir());
    const Qwen2Config c = Qwen2Config::from_json(ws->config());
    EXPECT_EQ(c.hidden_size, 128);
    EXPECT_EQ(c.num_layers, 2);
    EXPECT_EQ(c.num_heads, 4);
    EXPECT_EQ(c.num_kv_heads, 2);
    EXPECT_EQ(c.head_dim, 32);
    EXPECT_EQ(c.intermediate_size, 352);
    EXPECT_EQ(c.vocab_size, 451);
    EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
    EXPECT_FLOAT_EQ(c.rms_norm_eps, 1e-6f);
    EXPECT_EQ(c.max_positions, 1024);
    EXPECT_EQ(c.eos_token_ids, std::vector<int32_t>{kImEnd});
}

TEST(Qwen2Config, ErrorsNameTheField) {
    const auto ws = package::open_weights(test::tiny_model_dir());
    auto with = [&](const std::string& key, const json& value) {
        json c = ws->config();
        if (value.is_null())
            c.erase(key);
        else
            c[key] = value;
        return error_of([&] { Qwen2Config::from_json(c, "cfg.json"); });
    };
    EXPECT_NE(with("hidden_size", nullptr).find("cfg.json: missing field 'hidden_size'"), std::string::npos);
    EXPECT_NE(with("num_key_value_heads", 3).find("num_key_value_heads"), std::string::npos);
    EXPECT_NE(with("num_attention_heads", 5).find("num_attention_heads"), std::string::npos);
    EXPECT_NE(with("rope_theta", -1.0).find("rope_theta"), std::string::npos);
    EXPECT_NE(with("rms_norm_eps", 0.0).find("rms_norm_eps"), std::string::npos);
    EXPECT_NE(with("vocab_size", "many").find("vocab_size"), std::string::npos);
    EXPECT_NE(with("tie_word_embeddings", 1).find("tie_word_embeddings"), std::string::npos);
    EXPECT_NE(with("eos_token_id", 999).find("eos_token_id"), std::string::npos);
    EXPECT_NE(with("max_position_embeddings", 0).find("max_position_embeddings"), std::string::npos);
}

TEST(Qwen2Inputs, RejectsBadIds) {
    const auto ws = package::open_weights(test::tiny_model_dir());
    const Qwen2 llm(*ws);
    const Compute c;
    std::vector<float> feats(2 * 128, 1.0f);
    const std::vector<int64_t> two{1, -200, 2, -200};
    EXPECT_NE(error_of([&] { build_inputs_embeds(c, llm, two, feats.data(), 2); }).find("2 <image>"),
              std::string::npos);
    const std::vector<int64_t> big{1, 451};
    EXPECT_NE(error_of([&] { build_inputs_embeds(c, llm, big, nullptr, 0); }).find("451"), std::string::npos);
    const std::vector<int64_t> neg{1, -5};
    EXPECT_NE(error_of([&] { build_inputs_embeds(c, llm, neg, nullptr, 0); }).find("-5"), std::string::npos);
    const std::vector<int64_t> one{3, -200, 4};
    EXPECT_THROW(build_inputs_embeds(c, llm, one, nullptr, 2), Error);
    const auto e = build_inputs_embeds(c, llm, one, feats.data(), 2);
    ASSERT_EQ(e.size(), 4u * 128u);
    EXPECT_EQ(e[128], 1.0f);  // first image row
}

TEST(KvCacheTest, GrowsAndRespectsMaxPositions) {
    Qwen2Config cfg;
    cfg.num_layers = 2;
    cfg.max_positions = 100;
    KvCache cache(cfg);
    cache.reserve(10);
    EXPECT_GE(cache.capacity(), 10);
    cache.advance(10);
    cache.reserve(70);
    EXPECT_EQ(cache.length(), 10);
    EXPECT_LE(cache.capacity(), 100);
    EXPECT_NE(error_of([&] { cache.reserve(101); }).find("max_position_embeddings"), std::string::npos);
    cache.truncate(4);
    EXPECT_EQ(cache.length(), 4);
}

TEST(Qwen2Decoder, ContextLimitStopsGeneration) {
    const auto ws = package::open_weights(test::tiny_model_dir());
    json cfg = ws->config();
    Qwen2Config c = Qwen2Config::from_json(cfg);
    c.max_positions = 8;
    const Qwen2 llm(*ws, c);
    const Compute compute;
    const std::vector<int32_t> ids{1, 2, 3, 4, 5};
    std::vector<float> e(ids.size() * 128);
    llm.embed(compute, ids, e.data());
    KvCache cache(llm.config());
    DecodeOptions opts;
    opts.max_new_tokens = 50;
    const auto r = generate_tokens(compute, llm, cache, e.data(), 5, opts);
    EXPECT_EQ(r.ids.size(), 4u);  // positions 5, 6, 7 fed back; the 4th token has no room
    EXPECT_EQ(cache.length(), 8);
    KvCache too_small(llm.config());
    std::vector<float> nine(9 * 128, 0.0f);
    EXPECT_NE(error_of([&] { llm.forward(compute, too_small, nine.data(), 9, 8); }).find("exceeds"),
              std::string::npos);
}

}  // namespace
}  // namespace vlmq::model
