#pragma once
// Tensor shapes: element count and the "[a,b,c]" spelling used in error messages.
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vlmq {

// Product of the dimensions (1 for a 0-d shape). Callers check for overflow where the shape is untrusted.
inline int64_t numel(std::span<const int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

// Rows/cols of the matrix view of a tensor: rows = shape[0], cols = product of the rest ({1, 1} for 0-d).
inline std::pair<int64_t, int64_t> matrix_dims(std::span<const int64_t> shape) {
    if (shape.empty()) return {1, 1};
    return {shape[0], numel(shape.subspan(1))};
}

std::string shape_str(std::span<const int64_t> shape);

}  // namespace vlmq
