#pragma once
// Calibration pass: runs the unquantized model teacher-forced over image + question + reference answer for
// each sample and accumulates the input statistics of every matrix product (CalibrationStats).
//
// Reduction order: samples are summed in blocks of kCalibrationBlock consecutive samples, and the blocks are
// merged in order. The block, not the process, is the unit of work, so `mpirun -n N` (blocks dealt to ranks
// in turn) gives byte-identical statistics for every N. With more than one block, the merge holds a second
// set of accumulators (X^T X included) while a block runs.
#include <memory>

#include "calib/calib_stats.h"
#include "eval/dataset.h"
#include "core/compute.h"
#include "model/fastvlm.h"

namespace vlmq::pipeline {

inline constexpr int64_t kCalibrationBlock = 16;

// Dataset: each sample's own image. Blank: every image replaced by one black image of the same size, i.e. text-only
// calibration of the decoder (the vision statistics then describe a blank image).
enum class CalibrationImages { Dataset, Blank };

// Every rank calls it with the same samples; every rank gets the same statistics back.
std::unique_ptr<calib::CalibrationStats> collect_stats(const model::FastVLM& model, const eval::VqaDataset& samples,
                                                const Compute& c, const calib::CollectOptions& options,
                                                bool progress, CalibrationImages images = CalibrationImages::Dataset);

}  // namespace vlmq::pipeline
