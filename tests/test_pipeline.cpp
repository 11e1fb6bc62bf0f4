// The FastVLM pipeline (image -> tower -> projector -> decoder -> text) on the tiny model against the
// reference's golden samples, teacher-forced answer scoring, determinism and load errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "core/json_util.h"
#include "image/image.h"
#include "model/fastvlm.h"
#include "test_util.h"
#include "text/prompt.h"

namespace vlmq::model {
namespace {

namespace fs = std::filesystem;

constexpr double kGoldenTol = 1e-4;
constexpr int32_t kImEnd = 450;

struct Sample {
    fs::path golden;
    fs::path image;
    std::string question, prompt, generated_text;
};

std::vector<Sample> load_samples() {
    const json samples = read_json_file(test::tiny_golden_dir() / "samples.json");
    std::vector<Sample> out;
    for (const json& s : samples)
        out.push_back({test::tiny_golden_dir() / s.at("file").get<std::string>(),
                       test::data_dir() / "tiny-fastvlm-a" / s.at("image").get<std::string>(),
                       s.at("question").get<std::string>(), s.at("prompt").get<std::string>(),
                       s.at("generated_text").get<std::string>()});
    return out;
}

void expect_close(const std::string& what, const std::vector<float>& ours, const std::vector<float>& golden,
                  double tol) {
    ASSERT_EQ(ours.size(), golden.size()) << what;
    const double ratio = test::max_rel_diff(ours, golden);
    std::printf("  %-24s max|diff|/max|golden| = %.3g\n", what.c_str(), ratio);
    EXPECT_LE(ratio, tol) << what;
}

class Pipeline : public ::testing::TestWithParam<bool> {
protected:
    static void SetUpTestSuite() {
        model_ = new FastVLM(test::tiny_model_dir());
        samples_ = new std::vector<Sample>(load_samples());
    }
    static void TearDownTestSuite() {
        delete model_;
        delete samples_;
    }
    void SetUp() override {
        compute_.reference = GetParam();
        ASSERT_EQ(samples_->size(), 3u);
    }
    std::vector<float> pixels(const Sample& s) const { return model_->preprocess(image::load_image(s.image)); }

    static inline FastVLM* model_ = nullptr;
    static inline std::vector<Sample>* samples_ = nullptr;
    ThreadPool pool_{2};
    Compute compute_{&pool_};
};

TEST_P(Pipeline, ModelFacts) {
    EXPECT_EQ(model_->image_size(), 256);
    EXPECT_EQ(model_->image_tokens(), 16);
    EXPECT_EQ(model_->hidden(), 128);
    EXPECT_EQ(model_->vocab_limit(), 451);
    EXPECT_EQ(model_->eos_ids(), std::vector<int32_t>{kImEnd});
}

TEST_P(Pipeline, PromptIdsMatchGolden) {
    for (const Sample& s : *samples_) {
        const auto golden = test::read_i64(s.golden, "input_ids");
        EXPECT_EQ(model_->tokenize_prompt(s.prompt), golden);
        EXPECT_EQ(model_->tokenize_question(s.question + std::string(text::kShortAnswerSuffix)), golden);
    }
}

TEST_P(Pipeline, EncodeImageMatchesGolden) {
    for (const Sample& s : *samples_) {
        const auto px = pixels(s);
        expect_close("pixel_values", px, test::read_f32(s.golden, "pixel_values"), 0.0);
        expect_close("projected", model_->encode_image(compute_, px.data()), test::read_f32(s.golden, "projected"),
                     kGoldenTol);
    }
}

TEST_P(Pipeline, GreedyAnswersMatchReference) {
    for (const Sample& s : *samples_) {
        const auto px = pixels(s);
        const GenerateResult r = model_->generate(compute_, px.data(), model_->tokenize_prompt(s.prompt), {});
        EXPECT_EQ(r.text, s.generated_text) << s.question;
        const auto golden = test::read_i64(s.golden, "generated_ids");
        EXPECT_EQ(std::vector<int64_t>(r.token_ids.begin(), r.token_ids.end()), golden);
        EXPECT_TRUE(r.hit_eos);
        EXPECT_EQ(r.prompt_tokens, int64_t(test::read_i64(s.golden, "input_ids").size()) - 1 + 16);
        EXPECT_GT(r.timings.image_encode_ms, 0.0);
        EXPECT_EQ(r.timings.decode_steps, int64_t(r.token_ids.size()) - 1);
    }
}

TEST_P(Pipeline, FullForwardLogitsMatchGolden) {
    const Sample& s = (*samples_)[2];
    const auto px = pixels(s);
    const auto logits = model_->forward(compute_, px.data(), model_->tokenize_prompt(s.prompt), nullptr);
    expect_close("logits (from pixels)", logits, test::read_f32(s.golden, "logits"), kGoldenTol);
}

TEST_P(Pipeline, SameInputsSameOutputs) {
    const Sample& s = (*samples_)[1];
    const auto px = pixels(s);
    const auto ids = model_->tokenize_prompt(s.prompt);
    const GenerateOptions sampled{12, 0.8, 0.9, 123};
    const auto a = model_->generate(compute_, px.data(), ids, sampled);
    const auto b = model_->generate(compute_, px.data(), ids, sampled);
    EXPECT_EQ(a.token_ids, b.token_ids);
    EXPECT_EQ(a.text, b.text);
    // Precomputed features give the same tokens as pixels.
    const auto features = model_->encode_image(compute_, px.data());
    const auto c = model_->generate_from_features(compute_, features.data(), ids, sampled);
    EXPECT_EQ(c.token_ids, a.token_ids);
    EXPECT_EQ(c.timings.image_encode_ms, 0.0);
}

TEST_P(Pipeline, AnswerLogitsTeacherForced) {
    for (const Sample& s : *samples_) {
        const auto px = pixels(s);
        const auto ids = model_->tokenize_prompt(s.prompt);
        const auto gen = test::read_i64(s.golden, "generated_ids");
        const std::vector<int32_t> answer(gen.begin(), gen.end() - 1);  // without <|im_end|>
        const int64_t V = model_->vocab_limit();
        const auto logits = model_->answer_logits(compute_, px.data(), ids, answer);
        ASSERT_EQ(int64_t(logits.size()), int64_t(answer.size() + 1) * V);
        // Row 0 is the prompt's last position: the golden logits' last row.
        const auto golden = test::read_f32(s.golden, "logits");
        const std::vector<float> last(golden.end() - V, golden.end()), row0(logits.begin(), logits.begin() + V);
        expect_close("answer_logits row 0", row0, last, kGoldenTol);
        // Teacher forcing on the greedy answer: each row's argmax is the next greedy token, the last is eos.
        for (size_t i = 0; i <= answer.size(); ++i) {
            const auto row = logits.begin() + int64_t(i) * V;
            EXPECT_EQ(std::max_element(row, row + V) - row, gen[i]) << "row " << i;
        }
        const auto features = model_->encode_image(compute_, px.data());
        EXPECT_EQ(model_->answer_logits_from_features(compute_, features.data(), ids, answer), logits);
    }
}

// One prefill serves both the answer and its teacher-forced scoring: the generation's step logits while the
// tokens agree, a pass from the KV cache for the rest.
TEST_P(Pipeline, ScoredGenerationSharesThePrefill) {
    GenerateOptions opts;
    opts.max_new_tokens = 16;
    const int64_t V = model_->vocab_limit();
    for (const Sample& s : *samples_) {
        const auto px = pixels(s);
        const auto ids = model_->tokenize_prompt(s.prompt);
        const auto features = model_->encode_image(compute_, px.data());
        const auto gen = test::read_i64(s.golden, "generated_ids");
        const std::vector<int32_t> greedy(gen.begin(), gen.end());  // ends with <|im_end|>
        const std::vector<int32_t> answer(gen.begin(), gen.end() - 1);
        // Its own answer: every row is a generation step.
        const ScoredGeneration own = model_->generate_scored(compute_, features.data(), ids, opts, nullptr);
        EXPECT_EQ(own.generation.token_ids, greedy);
        EXPECT_EQ(own.forced_positions, 0);
        const auto forced = model_->answer_logits_from_features(compute_, features.data(), ids, answer);
        expect_close("scored own answer", own.logits, forced, 1e-5);
        // Another answer, diverging at token 1: rows 0-1 from the steps, the row after it forced from the cache.
        int32_t x = 7;  // a token the greedy answer does not start with
        while (x == greedy[0] || x == greedy[1]) ++x;
        const std::vector<int32_t> other = {greedy[0], x, kImEnd};
        const ScoredGeneration o = model_->generate_scored(compute_, features.data(), ids, opts, &other);
        EXPECT_EQ(o.generation.token_ids, greedy);
        EXPECT_EQ(o.forced_positions, 1);
        const std::vector<int32_t> other_answer = {greedy[0], x};
        const auto other_forced = model_->answer_logits_from_features(compute_, features.data(), ids, other_answer);
        ASSERT_EQ(int64_t(o.logits.size()), 3 * V);
        expect_close("scored diverging answer", o.logits, other_forced, 1e-5);
        // Diverging at token 0 and not ending in <|im_end|>: only row 0 is shared.
        const std::vector<int32_t> first = {x, x};
        const ScoredGeneration f = model_->generate_scored(compute_, features.data(), ids, opts, &first);
        EXPECT_EQ(f.forced_positions, 2);
        expect_close("scored answer diverging at 0", f.logits,
                     model_->answer_logits_from_features(compute_, features.data(), ids, first), 1e-5);
    }
}

TEST_P(Pipeline, PrefillGivesNextTokenLogits) {
    const Sample& s = (*samples_)[0];
    const auto px = pixels(s);
    const auto features = model_->encode_image(compute_, px.data());
    KvCache cache = model_->new_cache();
    const auto logits = model_->prefill(compute_, cache, model_->tokenize_prompt(s.prompt), features.data());
    ASSERT_EQ(int64_t(logits.size()), model_->llm().vocab());
    EXPECT_EQ(cache.length(), int64_t(test::read_i64(s.golden, "input_ids").size()) - 1 + 16);
    EXPECT_EQ(std::max_element(logits.begin(), logits.end()) - logits.begin(), test::read_i64(s.golden, "generated_ids")[0]);
    EXPECT_THROW(model_->prefill(compute_, cache, model_->tokenize_prompt(s.prompt), features.data()), Error);
}

TEST_P(Pipeline, PromptErrors) {
    const auto px = pixels((*samples_)[0]);
    EXPECT_THROW(model_->tokenize_prompt("<image> and <image>"), Error);
    // A prompt without the placeholder cannot take an image.
    EXPECT_THROW(model_->generate(compute_, px.data(), model_->tokenize_prompt("no image here"), {}), Error);
    GenerateOptions bad;
    bad.top_p = 0.0;
    EXPECT_THROW(model_->generate(compute_, px.data(), model_->tokenize_question("hi"), bad), Error);
}

INSTANTIATE_TEST_SUITE_P(Tiers, Pipeline, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "ref" : "auto"; });

TEST(PipelineLoad, MissingModelDirFails) {
    test::TempDir tmp;
    EXPECT_THROW(FastVLM(tmp / "nope"), Error);
}

TEST(PipelineLoad, MissingTokenizerFails) {
    test::TempDir tmp;
    for (const char* f : {"config.json", "model.safetensors"})
        fs::copy_file(test::tiny_model_dir() / f, tmp / f);
    try {
        FastVLM m(tmp.path());
        FAIL() << "loaded without tokenizer.json";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace vlmq::model

namespace vlmq::model {
namespace {

// A quantized package (int8 embeddings, int4 decoder and tower) loads and runs through the same pipeline; the
// embedding lookup dequantizes exactly the requested int8 rows.
TEST(PipelinePackage, QuantizedPackageRuns) {
    test::TempDir tmp;
    {
        std::ofstream cfg(tmp / "q.json");
        cfg << R"({"vision_encoder": "int4", "text_encoder": "int8", "fusion_layers": "fp16", "decoder": "int4",
                   "calibration_samples": 1})";
    }
    const auto q = test::run_vlmq({"quantize", "--model", test::tiny_model_dir().string(), "--config",
                                   (tmp / "q.json").string(), "--out", (tmp / "pkg.vlmq").string()});
    ASSERT_EQ(q.exit_code, 0) << q.err;
    const FastVLM pkg(tmp / "pkg.vlmq");
    const FastVLM ref(test::tiny_model_dir());
    const package::Weight emb = pkg.weights().get("model.embed_tokens.weight");
    ASSERT_TRUE(emb.mat.fmt.is_int());
    const Compute c;
    const std::vector<int32_t> ids{0, 7, 450, 123};
    std::vector<float> rows(ids.size() * 128), expect(128);
    pkg.llm().embed(c, ids, rows.data());
    for (size_t i = 0; i < ids.size(); ++i) {
        qformat::dequantize_row_ref(emb.mat, ids[i], expect.data());
        EXPECT_EQ(std::vector<float>(rows.begin() + i * 128, rows.begin() + (i + 1) * 128), expect) << ids[i];
    }
    const Sample s = load_samples()[2];
    const auto px = ref.preprocess(image::load_image(s.image));
    const auto prompt = pkg.tokenize_prompt(s.prompt);
    const GenerateResult r = pkg.generate(c, px.data(), prompt, {});
    ASSERT_FALSE(r.token_ids.empty());
    EXPECT_TRUE(r.hit_eos || r.token_ids.size() == 256u);
    const auto lq = pkg.answer_logits(c, px.data(), prompt, {});
    const auto lr = ref.answer_logits(c, px.data(), prompt, {});
    const double ratio = test::max_rel_diff(lq, lr);
    std::printf("  int4/int8 package vs bf16: next-token logits max|diff|/max = %.3g, answer '%s'\n", ratio,
                r.text.c_str());
    EXPECT_GT(ratio, 0.0);  // really quantized
    EXPECT_LT(ratio, 0.5);  // but close
}

}  // namespace
}  // namespace vlmq::model
