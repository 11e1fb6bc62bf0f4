#include "rounding/rounding.h"

#include "core/error.h"
#include "rounding/rtn.h"

namespace vlmq::rounding {

Algorithm parse_algorithm(const std::string& name) {
    if (name == "rtn") return Algorithm::Rtn;
    if (name == "weighted") return Algorithm::Weighted;
    if (name == "gptq") return Algorithm::Gptq;
    if (name == "awq") return Algorithm::Awq;
    fail("unknown rounding algorithm '{}' (expected rtn, weighted, gptq, awq)", name);
}

std::string algorithm_name(Algorithm a) {
    switch (a) {
        case Algorithm::Rtn: return "rtn";
        case Algorithm::Weighted: return "weighted";
        case Algorithm::Gptq: return "gptq";
        case Algorithm::Awq: return "awq";
    }
    return "?";
}

bool needs_whole_matrix(Algorithm a) { return a == Algorithm::Gptq || a == Algorithm::Awq; }

void quantize_matrix(const kernels::Compute& c, Algorithm algo, const void* src, DType src_dtype,
                     const qformat::QMatrixMut& dst, const calib::CalibrationStats* stats,
                     const std::string& tensor_name) {
    // Data-aware algorithms arrive with the calibration work; until then (and for float targets) RTN.
    (void)algo;
    (void)stats;
    (void)tensor_name;
    quantize_rtn(c, src, src_dtype, dst);
}

}  // namespace vlmq::rounding
