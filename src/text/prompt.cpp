#include "text/prompt.h"

#include "core/error.h"

namespace vlmq::text {

std::string qwen2_prompt(std::string_view user_message, bool with_image) {
    std::string p = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n";
    if (with_image) {
        p += kImagePlaceholder;
        p += '\n';
    }
    p += user_message;
    p += "<|im_end|>\n<|im_start|>assistant\n";
    return p;
}

std::vector<int64_t> tokenize_with_image(const Tokenizer& tokenizer, std::string_view prompt) {
    const size_t at = prompt.find(kImagePlaceholder);
    std::vector<int64_t> ids;
    auto append = [&](std::string_view text) {
        for (const int32_t id : tokenizer.encode(text)) ids.push_back(id);
    };
    if (at == std::string_view::npos) {
        append(prompt);
        return ids;
    }
    const std::string_view after = prompt.substr(at + kImagePlaceholder.size());
    if (after.find(kImagePlaceholder) != std::string_view::npos)
        fail("prompt: more than one {} placeholder (only one image per prompt is supported)", kImagePlaceholder);
    append(prompt.substr(0, at));
    ids.push_back(kImageTokenIndex);
    append(after);
    return ids;
}

}  // namespace vlmq::text
