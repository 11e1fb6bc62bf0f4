#pragma once
// Plans AWQ channel scaling across tensors: for every group of consumers that share an input (the
// architecture table's scale groups) and are planned with algorithm "awq", searches s and records it in
// `plan.awq`: the consumers' columns are to be multiplied by s and the producing norm/linear divided by s
// (applied per tensor by the quantizer). The model computes the same function in full precision; only
// the rounding changes. Consumers without a scale group keep their weights and are rounded with the
// importance-weighted search instead.
#include "calib/calib_stats.h"
#include "io/checkpoint.h"
#include "core/compute.h"
#include "arch/arch_table.h"
#include "quant/plan.h"

namespace vlmq::quant {

// Fills `plan.awq` and retypes producers that were kept verbatim to f32 (they are stored divided by s).
// Loads one group's consumers at a time for the search; keeps only the scale vectors.
void plan_awq(Plan& plan, const io::Checkpoint& ckpt, const arch::ArchTable& arch,
              const calib::CalibrationStats& stats, const Compute& c);

}  // namespace vlmq::quant
