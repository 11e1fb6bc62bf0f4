#include <gtest/gtest.h>

#include "core/error.h"
#include "core/json_util.h"
#include "test_util.h"
#include "text/prompt.h"
#include "text/tokenizer.h"

using namespace vlmq;
using namespace vlmq::text;

namespace {

const Tokenizer& tiny() {
    static const Tokenizer tok = Tokenizer::load(test::tiny_model_dir() / "tokenizer.json");
    return tok;
}

}  // namespace

TEST(Prompt, GoldenSamplesPromptAndInputIds) {
    const json samples = read_json_file(test::tiny_golden_dir() / "samples.json");
    ASSERT_EQ(samples.size(), 3u);
    for (const json& s : samples) {
        const std::string question = s.at("question");
        const std::string prompt = s.at("prompt");
        EXPECT_EQ(qwen2_prompt(question + std::string(kShortAnswerSuffix)), prompt);
        const auto expected = test::read_i64(test::tiny_golden_dir() / s.at("file").get<std::string>(), "input_ids");
        const auto ids = tokenize_with_image(tiny(), prompt);
        EXPECT_EQ(ids, expected) << question;
        EXPECT_EQ(std::count(ids.begin(), ids.end(), kImageTokenIndex), 1);
    }
}

TEST(Prompt, TemplateText) {
    EXPECT_EQ(qwen2_prompt("Describe the image."),
              "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\n"
              "Describe the image.<|im_end|>\n<|im_start|>assistant\n");
    EXPECT_EQ(qwen2_prompt("Hi", false),
              "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
              "Hi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(Prompt, ImagePlaceholderSplitsTokenization) {
    // The text on each side is tokenized on its own: "x<image>y" is tok("x") + [-200] + tok("y").
    const auto ids = tokenize_with_image(tiny(), "ab<image>cd");
    std::vector<int64_t> expected;
    for (const int32_t id : tiny().encode("ab")) expected.push_back(id);
    expected.push_back(kImageTokenIndex);
    for (const int32_t id : tiny().encode("cd")) expected.push_back(id);
    EXPECT_EQ(ids, expected);

    const auto text_only = tokenize_with_image(tiny(), qwen2_prompt("Hi", false));
    EXPECT_EQ(std::count(text_only.begin(), text_only.end(), kImageTokenIndex), 0);
    EXPECT_EQ(text_only.size(), tiny().encode(qwen2_prompt("Hi", false)).size());
}

TEST(Prompt, MoreThanOneImageFails) {
    EXPECT_THROW(tokenize_with_image(tiny(), "<image>\n<image>\nWhat?"), Error);
}
