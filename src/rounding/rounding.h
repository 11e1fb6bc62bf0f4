#pragma once
// The rounding-algorithm interface: how codes and scales are chosen for a format. Formats (qformat) and
// the mixing policy (quant/plan) are independent of this choice.
#include <string>

#include "core/dtype.h"
#include "kernels/compute.h"
#include "qformat/qmatrix.h"

namespace vlmq::calib {
class CalibrationStats;
}

namespace vlmq::rounding {

enum class Algorithm { Rtn, Weighted, Gptq, Awq };

Algorithm parse_algorithm(const std::string& name);
std::string algorithm_name(Algorithm a);
// GPTQ propagates error across columns of the whole matrix; the others work row by row.
bool needs_whole_matrix(Algorithm a);

// Quantizes src (dtype F32/F16/BF16, dst.rows x dst.cols) into dst with the algorithm. Data-aware algorithms
// read the input statistics of `tensor_name` from `stats`; without statistics for it they fall back to RTN.
void quantize_matrix(const kernels::Compute& c, Algorithm algo, const void* src, DType src_dtype,
                     const qformat::QMatrixMut& dst, const calib::CalibrationStats* stats,
                     const std::string& tensor_name);

}  // namespace vlmq::rounding
