#pragma once
// Calibration pass: runs the unquantized model teacher-forced over image + question + reference answer for
// each sample and accumulates the input statistics of every matrix product (CalibrationStats).
#include <memory>

#include "calib/calib_stats.h"
#include "eval/dataset.h"
#include "core/compute.h"
#include "model/fastvlm.h"

namespace vlmq::pipeline {

std::unique_ptr<calib::CalibrationStats> collect_stats(const model::FastVLM& model, const eval::VqaDataset& samples,
                                                const Compute& c, const calib::CollectOptions& options,
                                                bool progress);

}  // namespace vlmq::pipeline
