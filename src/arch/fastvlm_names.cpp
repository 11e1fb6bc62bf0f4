#include "arch/fastvlm_names.h"

#include <fmt/format.h>

namespace vlmq::arch::fastvlm {

std::string weight(std::string_view leaf) { return fmt::format("{}{}", leaf, kWeight); }
std::string bias(std::string_view leaf) { return fmt::format("{}{}", leaf, kBias); }

std::string vision_name(std::string_view relative) { return fmt::format("{}{}", kVisionPrefix, relative); }
std::string vision_stem(int i) { return fmt::format("{}{}.", kStem, i); }
std::string vision_network(int index) { return fmt::format("{}{}.", kNetwork, index); }
std::string vision_block(int index, int b) { return fmt::format("{}{}.{}.", kNetwork, index, b); }

std::string vision_head_proj() { return fmt::format("{}proj", kHead); }

std::string projector(int index) { return fmt::format("{}{}", kProjector, index); }

std::string layer(int i) { return fmt::format("{}{}.", kLayers, i); }

}  // namespace vlmq::arch::fastvlm
