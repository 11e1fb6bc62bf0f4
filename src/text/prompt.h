#pragma once
// FastVLM's `qwen_2` conversation template and LLaVA-style image-placeholder tokenization.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer.h"

namespace vlmq::text {

inline constexpr std::string_view kImagePlaceholder = "<image>";
inline constexpr int64_t kImageTokenIndex = -200;  // IMAGE_TOKEN_INDEX in llava/constants.py
// What the VQA evaluation appends to each question.
inline constexpr std::string_view kShortAnswerSuffix = "\nAnswer the question using a single word or phrase.";

// "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\n{message}"
// "<|im_end|>\n<|im_start|>assistant\n" (without "<image>\n" when with_image is false).
std::string qwen2_prompt(std::string_view user_message, bool with_image = true);

// Tokenizes the text on each side of the single "<image>" separately and joins the pieces with
// kImageTokenIndex (llava/mm_utils.py tokenizer_image_token). A prompt without "<image>" is plain
// text; more than one fails (the release supports one image).
std::vector<int64_t> tokenize_with_image(const Tokenizer& tokenizer, std::string_view prompt);

}  // namespace vlmq::text
