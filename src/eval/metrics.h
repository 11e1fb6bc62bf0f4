#pragma once
// What one evaluation of a model on a validation set measured.
#include <cstdint>

namespace vlmq::eval {

struct Metrics {
    double accuracy = 0.0;  // in the configured metric (vqa/exact: vs labels; agreement: vs the baseline)
    double vqa = -1.0, exact = -1.0;  // label metrics when labels exist (-1 otherwise)
    double agreement = 1.0;           // answers equal to the unquantized model's (normalized)
    double kld = 0.0;                 // mean KL(baseline || candidate) over answer positions
    double top1 = 1.0;                // next-token top-1 agreement over answer positions
    int64_t samples = 0;
};

}  // namespace vlmq::eval
