#pragma once
// AWQ-style activation-aware channel scaling (Lin et al. 2023): quantize W·diag(s) instead of W, with
// s = mean|x|^alpha (normalised), alpha found by grid search so that the output error of
// Q(W·diag(s))·diag(1/s) on the calibration inputs is smallest. The inverse scale 1/s must be absorbed
// by the operation producing x (a norm gain, or the rows of a preceding linear): see quant/awq_transform.
#include <cstdint>
#include <vector>

#include "core/compute.h"
#include "qformat/format.h"

namespace vlmq::rounding {

struct AwqResult {
    std::vector<float> scales;  // s, one per input channel
    double alpha = 0.0;
    double loss = 0.0;          // output error with s
    double rtn_loss = 0.0;      // output error without scaling (alpha = 0)
};

// w: [rows, cols] fp32 (all consumers of one input stacked). Output error of a candidate is
// sum_r dw_r^T H dw_r with H the mean x x^T when `hessian` is given, else diag(importance).
AwqResult awq_search(const Compute& c, const float* w, int64_t rows, int64_t cols, const qformat::Format& fmt,
                     const float* mean_abs, const float* importance, const float* hessian, int grid = 20);

// Output error of quantizing w (RTN) after scaling its columns by s (s = null: no scaling).
double awq_output_error(const float* w, int64_t rows, int64_t cols, const qformat::Format& fmt, const float* s,
                        const float* importance, const float* hessian);

}  // namespace vlmq::rounding
