#pragma once
// Weight matrices back to fp32: whole rows (model loading, export checks, tests) and K-slices of one row
// (GEMM panel packing). The scalar definition is dequantize_row_ref (qmatrix.h); the AVX2 twins give
// bit-identical values (symmetric s * (u - 2^(b-1)), affine fma(s, u, m), exact f16/bf16 widening).
#include <cstdint>

#include "core/compute.h"
#include "core/dtype.h"
#include "qformat/qmatrix.h"

namespace vlmq::qformat {

// Rows [row0, row0 + nrows) of m into out ([nrows, m.cols], row-major). Threads over rows via c.pool.
void dequantize_rows(const Compute& c, const QMatrix& m, int64_t row0, int64_t nrows, float* out);

// Columns [k0, k1) of row r into out[0 .. k1 - k0). Single-threaded (c.pool unused).
void dequantize_row_range(const Compute& c, const QMatrix& m, int64_t r, int64_t k0, int64_t k1, float* out);

// n elements of an F32/F16/BF16 array -> fp32 (exact). Threads via c.pool for large n.
void convert_to_f32(const Compute& c, const void* src, DType dtype, int64_t n, float* out);

namespace detail {

void dequantize_row_range_ref(const QMatrix& m, int64_t r, int64_t k0, int64_t k1, float* out);
void dequantize_row_range_avx2(const QMatrix& m, int64_t r, int64_t k0, int64_t k1, float* out);
void convert_to_f32_ref(const void* src, DType dtype, int64_t n, float* out);
void convert_to_f32_avx2(const void* src, DType dtype, int64_t n, float* out);

}  // namespace detail

}  // namespace vlmq::qformat
