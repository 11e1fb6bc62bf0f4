#pragma once
// Element types of stored tensors (the safetensors set vlmq accepts).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vlmq {

enum class DType : uint8_t { F32, F16, BF16, I64, I32, U8, I8, U32 };

size_t dtype_size(DType t);
std::string_view dtype_name(DType t);  // safetensors spelling: "F32", "BF16", ...
std::optional<DType> parse_dtype(std::string_view name);
bool dtype_is_float(DType t);

}  // namespace vlmq
