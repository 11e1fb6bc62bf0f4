#pragma once
// GPTQ (Frantar et al. 2022): quantize one column at a time and push each column's rounding error onto
// the columns not yet quantized, using the inverse Hessian H = E[x x^T] of the layer's inputs.
// Rows are independent given H, so they are processed in parallel. Produces the same layouts as RTN.
#include <cstdint>

#include "core/dtype.h"
#include "core/compute.h"
#include "qformat/qmatrix.h"

namespace vlmq::rounding {

struct GptqOptions {
    double damp = 0.01;     // fraction of mean(diag H) added to the diagonal
    bool act_order = false; // process columns by decreasing H_jj (group scales then come from the original weights)
};

// H: cols x cols, row-major, symmetric positive semi-definite (mean x x^T). Fails if H cannot be factorised.
void quantize_gptq(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst,
                   const float* hessian, const GptqOptions& options = {});

// Upper-triangular U with U^T U = (H + damp)^-1, as GPTQ uses it; exposed for tests. Returns false if H is not
// positive definite after damping.
bool gptq_inverse_factor(std::vector<double>& h, int64_t n, double damp);

}  // namespace vlmq::rounding
