#pragma once
// The model / image / prompt options shared by `vlmq run` and `vlmq forward`, and their resolution into
// pixels and prompt ids.
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "core/error.h"
#include "image/image.h"
#include "model/fastvlm.h"

namespace vlmq::cli {

struct RunInput {
    std::string model, image;
    std::optional<std::string> prompt, raw_prompt;

    void add_options(CLI::App* cmd) {
        cmd->add_option("--model", model, "Checkpoint directory or .vlmq package")->required();
        cmd->add_option("--image", image, "Image file (PNG, JPEG, BMP, ...)")->required();
        auto* p = cmd->add_option("--prompt", prompt, "User message; the qwen_2 chat template and <image> are added");
        auto* r = cmd->add_option("--raw-prompt", raw_prompt,
                                  "Full templated prompt with one <image> marker (used as is)");
        p->excludes(r);
        r->excludes(p);
    }

    // Checks what can be checked before loading the model, and decodes the image (both fail fast).
    image::Image check_and_load_image() const {
        if (!prompt && !raw_prompt) fail("one of --prompt or --raw-prompt is required");
        return image::load_image(image);
    }

    std::vector<int64_t> prompt_ids(const model::FastVLM& m) const {
        return prompt ? m.tokenize_question(*prompt) : m.tokenize_prompt(*raw_prompt);
    }
};

}  // namespace vlmq::cli
