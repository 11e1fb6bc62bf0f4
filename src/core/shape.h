#pragma once
// Tensor shapes: element count and the "[a,b,c]" spelling used in error messages.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vlmq {

// Product of the dimensions (1 for a 0-d shape). Callers check for overflow where the shape is untrusted.
inline int64_t numel(std::span<const int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

std::string shape_str(std::span<const int64_t> shape);

}  // namespace vlmq
