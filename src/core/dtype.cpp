#include "core/dtype.h"

#include <array>

namespace vlmq {
namespace {
struct DTypeInfo {
    DType type;
    std::string_view name;
    size_t size;
};
constexpr std::array<DTypeInfo, 8> kInfo{{{DType::F32, "F32", 4},
                                          {DType::F16, "F16", 2},
                                          {DType::BF16, "BF16", 2},
                                          {DType::I64, "I64", 8},
                                          {DType::I32, "I32", 4},
                                          {DType::U8, "U8", 1},
                                          {DType::I8, "I8", 1},
                                          {DType::U32, "U32", 4}}};
}  // namespace

size_t dtype_size(DType t) { return kInfo[static_cast<size_t>(t)].size; }
std::string_view dtype_name(DType t) { return kInfo[static_cast<size_t>(t)].name; }
bool dtype_is_float(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

std::optional<DType> parse_dtype(std::string_view name) {
    for (const auto& info : kInfo)
        if (info.name == name) return info.type;
    return std::nullopt;
}

}  // namespace vlmq
