#pragma once
// AVX2 twins of the scalar dequantization in dequant.cpp. Call only when cpu_has_avx2().
#include <cstdint>

#include "core/dtype.h"
#include "qformat/qmatrix.h"

namespace vlmq::qformat::detail {

void dequantize_row_range_avx2(const QMatrix& m, int64_t r, int64_t k0, int64_t k1, float* out);
void convert_to_f32_avx2(const void* src, DType dtype, int64_t n, float* out);

}  // namespace vlmq::qformat::detail
