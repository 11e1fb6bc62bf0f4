#pragma once
// Round-to-nearest (RTN) quantization into any qformat::Format. The rule is defined bit-exactly in
// docs/formats.md ("RTN"); the per-group pieces are public so data-aware algorithms (importance-weighted
// RTN, GPTQ, AWQ) can choose their own scales and still produce identical code layouts.
#include <cstdint>

#include "core/dtype.h"
#include "core/compute.h"
#include "qformat/qmatrix.h"

namespace vlmq::rounding {

// Quantizes all rows of src (dtype F32, F16 or BF16; row-major, dst.cols per row) into dst (an Int or
// float format). Multi-threaded over rows via c.pool, on the twin of the kernel tier; the twins give
// bit-identical output. Fails (vlmq::Error "row R, group G: ...") on a
// non-finite weight or a scale/bias outside the fp16 range; the caller adds the tensor name.
void quantize_rtn(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst);

// Same for rows [row0, row0 + nrows): src and dst both point at row 0 of the whole matrix.
void quantize_rtn_rows(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst,
                       int64_t row0, int64_t nrows);

// Stored parameters of one group, as fp16 bits. `bias` is used by affine formats only.
struct GroupScale {
    uint16_t scale = 0;
    uint16_t bias = 0;
    friend bool operator==(const GroupScale&, const GroupScale&) = default;
};

// The RTN parameter rule for one group of n fp32 weights (symmetric: the element of largest |w|, first on
// ties, maps to code 0; affine: min -> code 0, max -> code 2^bits - 1). Fails (vlmq::Error) on a
// non-finite weight or when a parameter overflows fp16.
GroupScale rtn_group_params(const float* w, int64_t n, int bits, bool symmetric);

// Codes u in [0, 2^bits) for one group given stored parameters (any scale, e.g. one chosen by a search):
//   symmetric: u = clamp(rne(w / s), -2^(b-1), 2^(b-1) - 1) + 2^(b-1);  s == 0 -> u = 2^(b-1)
//   affine:    u = clamp(rne((w - m) / s), 0, 2^b - 1);                 s == 0 -> u = 0
// with s, m the fp32 values of the fp16 parameters and rne = round half to even.
void quantize_group(const float* w, int64_t n, int bits, bool symmetric, GroupScale p, uint8_t* codes);

namespace detail {

// The twins of quantize_rtn_rows: rows [r0, r1) of src (F32/F16/BF16, row-major with dst.cols per row, pointing
// at row 0) into dst.
void rtn_rows_ref(const void* src, DType src_dtype, const qformat::QMatrixMut& dst, int64_t r0, int64_t r1);
void rtn_rows_avx2(const void* src, DType src_dtype, const qformat::QMatrixMut& dst, int64_t r0, int64_t r1);

}  // namespace detail

}  // namespace vlmq::rounding
