#pragma once
// Applies AWQ channel scaling across tensors before quantization: for every group of consumers that share
// an input (the architecture table's scale groups) and are planned with algorithm "awq", searches s,
// multiplies the consumers' columns by s and divides the producing norm/linear by s. The model computes
// the same function in full precision; only the rounding changes. Consumers without a scale group keep
// their weights and are rounded with the importance-weighted search instead.
#include <map>
#include <string>
#include <vector>

#include "calib/calib_stats.h"
#include "io/checkpoint.h"
#include "core/compute.h"
#include "arch/arch_table.h"
#include "quant/plan.h"

namespace vlmq::quant {

struct AwqTransform {
    std::map<std::string, std::vector<float>> replaced;  // tensor -> new fp32 values (full tensor)
    std::map<std::string, std::vector<float>> column_scales;  // consumer -> s (its stored columns are w * s)
    std::map<std::string, double> alpha;                 // scale group -> chosen exponent
    std::vector<std::string> unscaled;                   // awq-planned tensors without a usable group
};

// Also rewrites `plan`: producers that were kept verbatim are stored as f32 after scaling.
AwqTransform apply_awq(Plan& plan, const io::Checkpoint& ckpt, const arch::ArchTable& arch,
                       const calib::CalibrationStats& stats, const Compute& c);

}  // namespace vlmq::quant
