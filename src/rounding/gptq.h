#pragma once
// GPTQ (Frantar et al. 2022): quantize one column at a time and push each column's rounding error onto
// the columns not yet quantized, using the inverse Hessian H = E[x x^T] of the layer's inputs.
// Rows are independent given H, so they are processed in parallel. Produces the same layouts as RTN.
#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "core/compute.h"
#include "qformat/qmatrix.h"
#include "rounding/rtn.h"

namespace vlmq::rounding {

struct GptqOptions {
    double damp = 0.01;     // fraction of mean(diag H) added to the diagonal
    bool act_order = false; // process columns by decreasing H_jj (group scales then come from the original weights)
};

// What GPTQ computes once per matrix from H: the processing order, the never-activated ("dead") columns, the
// importances of the group-scale search and U, the upper factor of the damped inverse in processing order.
struct GptqFactor {
    int64_t k = 0;
    bool act_order = false;
    std::vector<int64_t> perm, pos;  // perm[i] = column processed i-th; pos = its inverse
    std::vector<bool> dead;
    std::vector<float> diag;
    std::vector<double> u;  // k*k
};
GptqFactor gptq_factor(const float* hessian, int64_t k, const GptqOptions& options);

// GPTQ's pass over one fp32 row `orig` [k]: writes the values it quantized into `out` (store_row with `params`
// turns them into the codes) and the group parameters into `params`; with `fixed_params` the given params are
// used as they are (only the codes are chosen, with error feedback).
void gptq_row(const GptqFactor& f, const qformat::Layout& l, int bits, bool sym, const float* orig, float* out,
              GroupScale* params, bool fixed_params);

// H: cols x cols, row-major, symmetric positive semi-definite (mean x x^T). Fails if H cannot be factorised.
void quantize_gptq(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst,
                   const float* hessian, const GptqOptions& options = {});

// In-place lower Cholesky factor A = L L^T of a row-major n x n matrix (upper triangle zeroed); false if A is not
// positive definite.
bool cholesky_lower(std::vector<double>& a, int64_t n);

// Upper-triangular U with U^T U = (H + damp)^-1, as GPTQ uses it; exposed for tests. Returns false if H is not
// positive definite after damping.
bool gptq_inverse_factor(std::vector<double>& h, int64_t n, double damp);

}  // namespace vlmq::rounding
