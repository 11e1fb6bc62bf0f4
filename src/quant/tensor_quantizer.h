#pragma once
// Quantizes one plan entry from its source bytes into a package writer, measuring the error.
#include <cmath>
#include <optional>
#include <span>
#include <string>

#include "calib/calib_stats.h"
#include "io/safetensors.h"
#include "core/compute.h"
#include "quant/awq_plan.h"
#include "quant/plan.h"
#include "rounding/rounding.h"

namespace vlmq::quant {

struct TensorError {
    double ref_sq = 0.0;  // sum of w^2
    double err_sq = 0.0;  // sum of (w - w_hat)^2
    std::optional<rounding::Algorithm> algorithm;  // rounding actually applied (none for kept/float tensors)
    uint64_t source_hash = 0;  // content hash of the source bytes (see tensor_content_hash)
    double rel_error() const { return ref_sq > 0 ? std::sqrt(err_sq / ref_sq) : (err_sq > 0 ? INFINITY : 0.0); }
    double sqnr_db() const { return err_sq > 0 ? 10.0 * std::log10(ref_sq / err_sq) : INFINITY; }
};

class TensorQuantizer {
public:
    TensorQuantizer(const Compute& compute, const calib::CalibrationStats* stats,
                    const AwqPlan* awq = nullptr)
        : compute_(compute), stats_(stats), awq_(awq) {}
    // `src` is the tensor as stored in the source checkpoint (dtype entry.tensor.dtype). A tensor AWQ scales
    // is converted to fp32 and scaled here, for the duration of this call.
    TensorError quantize(const PlanEntry& entry, std::span<const std::byte> src, io::SafetensorsWriter& writer) const;

private:
    const Compute& compute_;
    const calib::CalibrationStats* stats_;
    const AwqPlan* awq_;
};

// XXH3-64 over the XXH3-64 digests of consecutive 1 MiB blocks of `bytes` (blocks hashed in parallel).
uint64_t tensor_content_hash(std::span<const std::byte> bytes, ThreadPool* pool);

}  // namespace vlmq::quant
