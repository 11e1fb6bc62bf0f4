#include "rounding/rounding.h"

#include "core/error.h"
#include "calib/calib_stats.h"
#include "rounding/gptq.h"
#include "rounding/refine.h"
#include "rounding/rtn.h"
#include "rounding/weighted.h"

namespace vlmq::rounding {

std::optional<Algorithm> algorithm_of(std::string_view name) {
    for (Algorithm a : {Algorithm::Rtn, Algorithm::Weighted, Algorithm::Gptq, Algorithm::Awq, Algorithm::Refine})
        if (name == algorithm_name(a)) return a;
    return std::nullopt;
}

Algorithm parse_algorithm(const std::string& name) {
    if (auto a = algorithm_of(name)) return *a;
    fail("unknown rounding algorithm '{}' (expected rtn, weighted, gptq, awq, refine)", name);
}

std::string algorithm_name(Algorithm a) {
    switch (a) {
        case Algorithm::Rtn: return "rtn";
        case Algorithm::Weighted: return "weighted";
        case Algorithm::Gptq: return "gptq";
        case Algorithm::Awq: return "awq";
        case Algorithm::Refine: return "refine";
    }
    return "?";
}

bool needs_whole_matrix(Algorithm a) { return a == Algorithm::Gptq || a == Algorithm::Awq || a == Algorithm::Refine; }

Algorithm quantize_matrix(const Compute& c, Algorithm algo, const void* src, DType src_dtype,
                          const qformat::QMatrixMut& dst, const calib::CalibrationStats* stats,
                          const std::string& tensor_name) {
    const calib::InputStats* in = stats ? stats->find(tensor_name) : nullptr;
    const bool usable = dst.fmt.is_int() && in && in->k == dst.cols && in->rows > 0;
    if (usable && algo == Algorithm::Gptq && in->has_hessian()) {
        const std::vector<float> h = in->hessian();
        quantize_gptq(c, src, src_dtype, dst, h.data());
        return Algorithm::Gptq;
    }
    if (usable && algo == Algorithm::Refine && in->has_hessian()) {
        const std::vector<float> h = in->hessian();
        quantize_refined(c, src, src_dtype, dst, h.data());
        return Algorithm::Refine;
    }
    if (usable && (algo == Algorithm::Gptq || algo == Algorithm::Refine || algo == Algorithm::Weighted)) {
        const std::vector<float> imp = in->importance();
        quantize_weighted(c, src, src_dtype, dst, imp.data());
        return Algorithm::Weighted;
    }
    quantize_rtn(c, src, src_dtype, dst);
    return algo == Algorithm::Awq && dst.fmt.is_int() ? Algorithm::Awq : Algorithm::Rtn;
}

}  // namespace vlmq::rounding
