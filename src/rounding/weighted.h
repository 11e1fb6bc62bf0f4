#pragma once
// Importance-weighted RTN: per group, search the scale (and for affine formats the range) that
// minimises sum_j imp_j * (w_j - w_hat_j)^2, where imp_j is the mean squared input of column j
// (the diagonal of the GPTQ Hessian, llama.cpp's "imatrix"). Produces the same layouts as RTN.
#include <cstdint>

#include "core/dtype.h"
#include "core/compute.h"
#include "qformat/qmatrix.h"
#include "rounding/rtn.h"

namespace vlmq::rounding {

// Best stored parameters for one group of n weights with importances imp (> 0).
GroupScale weighted_group_params(const float* w, const float* imp, int64_t n, int bits, bool symmetric);

// Quantizes all rows of src into dst (an Int format) using column importances imp[dst.cols].
void quantize_weighted(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst,
                       const float* importance);

// Shared by the data-aware algorithms: quantizes one fp32 row with given per-group parameters into dst row r.
void store_row(const qformat::QMatrixMut& dst, int64_t r, const float* w, const GroupScale* params);
// The same with the codes (one per column) already chosen.
void store_codes(const qformat::QMatrixMut& dst, int64_t r, const uint8_t* codes, const GroupScale* params);

// Weighted squared error of one group under given parameters.
double group_error(const float* w, const float* imp, int64_t n, int bits, bool symmetric, GroupScale p);

}  // namespace vlmq::rounding
