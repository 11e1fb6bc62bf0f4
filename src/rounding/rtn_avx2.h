#pragma once
// AVX2 twin of the scalar RTN row loop in rtn.cpp. Call only when cpu_has_avx2().
#include <cstdint>

#include "core/dtype.h"
#include "qformat/qmatrix.h"

namespace vlmq::rounding::detail {

// Rows [r0, r1) of src (F32/F16/BF16, row-major with dst.cols per row, pointing at row 0) into dst.
void rtn_rows_avx2(const void* src, DType src_dtype, const qformat::QMatrixMut& dst, int64_t r0, int64_t r1);

}  // namespace vlmq::rounding::detail
