#pragma once
// Calibration pass: runs the unquantized model teacher-forced over image + question + reference answer for
// each sample and accumulates the input statistics of every matrix product (CalibrationStats).
#include <memory>

#include "calib/calib_stats.h"
#include "eval/dataset.h"
#include "core/compute.h"
#include "model/fastvlm.h"

namespace vlmq::pipeline {

// Dataset: each sample's own image. Blank: every image replaced by one black image of the same size, i.e. text-only
// calibration of the decoder (the vision statistics then describe a blank image).
enum class CalibrationImages { Dataset, Blank };

std::unique_ptr<calib::CalibrationStats> collect_stats(const model::FastVLM& model, const eval::VqaDataset& samples,
                                                const Compute& c, const calib::CollectOptions& options,
                                                bool progress, CalibrationImages images = CalibrationImages::Dataset);

}  // namespace vlmq::pipeline
