#include "core/shape.h"

#include <fmt/ranges.h>

namespace vlmq {

std::string shape_str(std::span<const int64_t> shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

}  // namespace vlmq
