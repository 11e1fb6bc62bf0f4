#include "model/qwen2_inputs.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace vlmq::model {

namespace {

int64_t placeholder_count(std::span<const int64_t> ids) {
    return std::count(ids.begin(), ids.end(), kImagePlaceholderId);
}

}  // namespace

int64_t multimodal_length(std::span<const int64_t> ids, int64_t image_rows) {
    const int64_t n = placeholder_count(ids);
    return int64_t(ids.size()) - n + n * image_rows;
}

std::vector<float> build_inputs_embeds(const Compute& c, const Qwen2& llm, std::span<const int64_t> ids,
                                       const float* image_features, int64_t image_rows) {
    const int64_t n_image = placeholder_count(ids);
    if (n_image > 1) fail("prompt holds {} <image> placeholders; FastVLM takes exactly one image", n_image);
    if (n_image == 1 && !image_features) fail("prompt holds an <image> placeholder but no image was given");
    if (n_image == 0 && image_features) fail("prompt holds no <image> placeholder for the given image");
    const int64_t H = llm.hidden();
    std::vector<int32_t> text;
    text.reserve(ids.size());
    for (int64_t id : ids) {
        if (id == kImagePlaceholderId) continue;
        if (id < 0 || id >= llm.vocab()) fail("token id {} is outside the vocabulary [0, {})", id, llm.vocab());
        text.push_back(int32_t(id));
    }
    std::vector<float> text_embeds(text.size() * size_t(H));
    llm.embed(c, text, text_embeds.data());

    const int64_t L = multimodal_length(ids, image_rows);
    std::vector<float> out(static_cast<size_t>(L * H));
    int64_t row = 0, t = 0;
    for (int64_t id : ids) {
        if (id == kImagePlaceholderId) {
            std::memcpy(out.data() + row * H, image_features, size_t(image_rows * H) * sizeof(float));
            row += image_rows;
        } else {
            std::memcpy(out.data() + row * H, text_embeds.data() + t * H, size_t(H) * sizeof(float));
            ++row;
            ++t;
        }
    }
    return out;
}

}  // namespace vlmq::model
