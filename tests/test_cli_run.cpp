// `vlmq run` and `vlmq forward` end to end on the tiny model: output formats, golden tensors, error exits.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/json_util.h"
#include "test_util.h"

namespace vlmq {
namespace {

namespace fs = std::filesystem;

const std::string kQuestion = "What shape is the purple object?\nAnswer the question using a single word or phrase.";

std::string image_path() { return (test::tiny_data_dir() / "test" / "images" / "test_00001.png").string(); }
std::string model_path() { return test::tiny_model_dir().string(); }
fs::path golden() { return test::tiny_golden_dir() / "sample_2.safetensors"; }

using test::expect_one_line_error;

TEST(CliRun, PrintsAnswer) {
    const auto r = test::run_vlmq({"run", "--model", model_path(), "--image", image_path(), "--prompt", kQuestion});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "circle\n");
}

TEST(CliRun, JsonHasFields) {
    const auto r = test::run_vlmq({"--threads", "2", "run", "--model", model_path(), "--image", image_path(),
                                   "--prompt", kQuestion, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j.at("text"), "circle");
    const auto golden_ids = test::read_i64(golden(), "generated_ids");
    EXPECT_EQ(j.at("token_ids").get<std::vector<int64_t>>(), golden_ids);
    EXPECT_EQ(j.at("prompt_tokens").get<int64_t>(), int64_t(test::read_i64(golden(), "input_ids").size()) - 1 + 16);
    EXPECT_EQ(j.at("stopped_at_eos"), true);
    EXPECT_EQ(j.at("threads"), 2);
    EXPECT_EQ(j.at("activations"), "fp32");  // weight-only numerics unless --int8-activations
    for (const char* k : {"image_encode_ms", "prefill_ms", "decode_tokens_per_s", "peak_rss_mb"}) {
        ASSERT_TRUE(j.contains(k)) << k;
        EXPECT_TRUE(j[k].is_number()) << k;
        EXPECT_GE(j[k].get<double>(), 0.0) << k;
    }
    EXPECT_GT(j["peak_rss_mb"].get<double>(), 1.0);
    EXPECT_LT(j["peak_rss_mb"].get<double>(), 4096.0);
}

TEST(CliRun, RawPromptAndSamplingOptions) {
    const std::string raw = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\n" +
                            kQuestion + "<|im_end|>\n<|im_start|>assistant\n";
    const auto a = test::run_vlmq({"run", "--model", model_path(), "--image", image_path(), "--raw-prompt", raw});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, "circle\n");
    std::vector<std::string> sampled{"--kernels", "ref", "run", "--model", model_path(), "--image", image_path(),
                                     "--prompt", kQuestion, "--temperature", "1.5", "--top-p", "0.95", "--seed", "7",
                                     "--max-new-tokens", "5", "--json"};
    const auto b = test::run_vlmq(sampled), c = test::run_vlmq(sampled);
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const json jb = json::parse(b.out), jc = json::parse(c.out);
    EXPECT_EQ(jb.at("token_ids"), jc.at("token_ids"));
    EXPECT_LE(jb.at("token_ids").size(), 5u);
    EXPECT_EQ(jb.at("activations"), "fp32");
    sampled.insert(sampled.begin(), "--int8-activations");
    const auto d = test::run_vlmq(sampled);
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(json::parse(d.out).at("activations"), "int8");
}

TEST(CliForward, DumpMatchesGolden) {
    test::TempDir tmp;
    const std::string out = (tmp / "dump.safetensors").string();
    const auto r = test::run_vlmq({"forward", "--model", model_path(), "--image", image_path(), "--prompt", kQuestion,
                                   "--dump", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    io::SafetensorsFile dump(out);
    io::SafetensorsFile ref(golden());
    EXPECT_EQ(test::read_i64(out, "input_ids"), test::read_i64(golden(), "input_ids"));
    int compared = 0;
    for (const io::TensorInfo& t : ref.tensors()) {
        if (t.dtype != DType::F32) continue;
        const io::TensorInfo* ours = dump.find(t.name);
        ASSERT_NE(ours, nullptr) << t.name;
        EXPECT_EQ(ours->shape, t.shape) << t.name;
        const double ratio = test::max_rel_diff(test::read_f32(out, t.name), test::read_f32(golden(), t.name));
        std::printf("  %-20s max|diff|/max|golden| = %.3g\n", t.name.c_str(), ratio);
        EXPECT_LE(ratio, 1e-4) << t.name;
        ++compared;
    }
    EXPECT_EQ(compared, 20);  // pixel_values, 13 vision taps, projected, inputs_embeds, 2 layers, final_norm, logits
}

TEST(CliRunErrors, MissingImage) {
    const auto r = test::run_vlmq({"run", "--model", model_path(), "--image", "/nonexistent/x.png", "--prompt", "hi"});
    expect_one_line_error(r, "/nonexistent/x.png");
}

TEST(CliRunErrors, UnreadableImage) {
    test::TempDir tmp;
    const fs::path bad = tmp / "bad.png";
    std::ofstream(bad) << "this is not an image";
    const auto r = test::run_vlmq({"run", "--model", model_path(), "--image", bad.string(), "--prompt", "hi"});
    expect_one_line_error(r, "cannot decode image");
}

TEST(CliRunErrors, MissingModelDir) {
    const auto r = test::run_vlmq({"run", "--model", "/nonexistent/model", "--image", image_path(), "--prompt", "hi"});
    expect_one_line_error(r, "/nonexistent/model");
    test::TempDir tmp;
    const auto f = test::run_vlmq({"forward", "--model", "/nonexistent/model", "--image", image_path(), "--prompt",
                                   "hi", "--dump", (tmp / "d.safetensors").string()});
    expect_one_line_error(f, "/nonexistent/model");
    EXPECT_FALSE(fs::exists(tmp / "d.safetensors"));
}

TEST(CliRunErrors, TwoImagePlaceholders) {
    // --prompt gets "<image>\n" from the template, so one more in the message makes two.
    const auto r = test::run_vlmq({"run", "--model", model_path(), "--image", image_path(), "--prompt",
                                   "compare with <image>"});
    expect_one_line_error(r, "<image>");
    const auto f = test::run_vlmq({"run", "--model", model_path(), "--image", image_path(), "--raw-prompt",
                                   "no placeholder"});
    expect_one_line_error(f, "<image>");
}

TEST(CliRunErrors, BadSamplingOptions) {
    const auto r = test::run_vlmq({"run", "--model", model_path(), "--image", image_path(), "--prompt", "hi",
                                   "--top-p", "1.5"});
    expect_one_line_error(r, "--top-p");
    const auto t = test::run_vlmq({"run", "--model", model_path(), "--image", image_path(), "--prompt", "hi",
                                   "--temperature", "-1"});
    expect_one_line_error(t, "--temperature");
}

}  // namespace
}  // namespace vlmq
