#pragma once
// Where `vlmq quantize` with validation spends its time, phase by phase; filled only when a caller asks for it
// (QuantizeRequest::timings; bench/bench_pipeline). Nothing here reaches a file the pipeline writes.
#include <string>
#include <vector>

#include "eval/eval_timings.h"

namespace vlmq::pipeline {

struct CandidateTimings {
    std::string label;        // the candidate as the progress line names it
    double quantize_s = 0;    // writing the candidate package
    double load_s = 0;        // opening it
    eval::EvalTimings eval;   // running it over the validation samples
    int64_t samples_total = 0;  // validation samples it would run without early stopping
    int64_t stopped_after = 0;  // > 0: it stopped early, after this many
    double accuracy = 0;        // its metrics' accuracy (the best case when it stopped early)
};

struct RunTimings {
    double calibrate_s = 0;
    int64_t calibrate_samples = 0;
    double prepare_s = 0;  // validation images and prompts, once
    eval::EvalTimings baseline;
    std::vector<CandidateTimings> candidates;
    double final_s = 0;    // the final package and its report
    double total_s = 0;
};

}  // namespace vlmq::pipeline
