#pragma once
// LLaVA-style input assembly (llava_arch.py prepare_inputs_labels_for_multimodal): the prompt's text ids are
// embedded and the single image placeholder id (-200) is replaced by the image's projected feature rows.
#include <cstdint>
#include <span>
#include <vector>

#include "core/compute.h"
#include "model/qwen2.h"

namespace vlmq::model {

inline constexpr int64_t kImagePlaceholderId = -200;

// Positions of the sequence: text ids before the placeholder, image_rows rows, text after.
int64_t multimodal_length(std::span<const int64_t> ids, int64_t image_rows);

// inputs_embeds [multimodal_length, hidden]. image_features: [image_rows, hidden], required when ids hold the
// placeholder; a prompt without it is text only (then image_features must be null). Fails on more than one
// placeholder, other negative ids or ids past the vocabulary.
std::vector<float> build_inputs_embeds(const Compute& c, const Qwen2& llm, std::span<const int64_t> ids,
                                       const float* image_features, int64_t image_rows);

}  // namespace vlmq::model
