#pragma once
// The rounding-algorithm interface: how codes and scales are chosen for a format. Formats (qformat) and
// the mixing policy (quant/plan) are independent of this choice.
#include <optional>
#include <string>
#include <string_view>

#include "calib/calib_stats.h"
#include "core/dtype.h"
#include "core/compute.h"
#include "qformat/qmatrix.h"

namespace vlmq::rounding {

enum class Algorithm { Rtn, Weighted, Gptq, Awq, Refine };

std::optional<Algorithm> algorithm_of(std::string_view name);
Algorithm parse_algorithm(const std::string& name);  // fails naming the unknown algorithm
std::string algorithm_name(Algorithm a);
// GPTQ propagates error across columns of the whole matrix; the others work row by row.
bool needs_whole_matrix(Algorithm a);

// Quantizes src (dtype F32/F16/BF16, dst.rows x dst.cols) into dst with the algorithm. Data-aware algorithms
// read the input statistics of `tensor_name` from `stats`; without what they need they step down
// (gptq, refine -> weighted -> rtn). AWQ's channel scaling is applied before this call (quant/awq_transform); here
// awq means "already scaled": RTN. Float formats are plain conversions. Returns the algorithm applied.
Algorithm quantize_matrix(const Compute& c, Algorithm algo, const void* src, DType src_dtype,
                     const qformat::QMatrixMut& dst, const calib::CalibrationStats* stats,
                     const std::string& tensor_name);

}  // namespace vlmq::rounding
