#pragma once
// Refinement, the ADR's "post-training optimization": GPTQ's codes and scales, then the quantization parameters
// tuned to reproduce the layer's unquantized outputs on the calibration inputs. Per row, alternately
//   1. every group scale (and, affine, bias) re-fit by least squares on the output error (w - w_hat)^T H (w - w_hat)
//      with the codes fixed — one small linear system per row, H = mean x x^T (damped as GPTQ damps it);
//   2. the codes re-chosen by GPTQ's error-feedback pass with those parameters fixed;
// keeping the best iterate by the same output error, so the result is never worse than GPTQ under H.
// Produces the same layouts as RTN.
#include <cstdint>

#include "core/compute.h"
#include "core/dtype.h"
#include "qformat/qmatrix.h"

namespace vlmq::rounding {

struct RefineOptions {
    int iterations = 3;   // parameter fit + code pass rounds after GPTQ
    double damp = 0.01;   // fraction of mean(diag H), as GPTQ
};

void quantize_refined(const Compute& c, const void* src, DType src_dtype, const qformat::QMatrixMut& dst,
                      const float* hessian, const RefineOptions& options = {});

}  // namespace vlmq::rounding
