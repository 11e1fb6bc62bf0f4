#pragma once
// Where a model run over validation samples spends its time, filled only when a caller asks for it
// (EvalOptions::timings; bench/bench_pipeline). Seconds, summed over the samples run.
#include <cstdint>

namespace vlmq::eval {

struct EvalTimings {
    double vision_s = 0;   // vision tower + projector (encode_image)
    double prefill_s = 0;  // prompt forward up to the first generated token
    double decode_s = 0;   // the remaining generated tokens
    double forced_s = 0;   // teacher-forced scoring of the reference's answer positions
    double metrics_s = 0;  // KLD / top-1 / agreement
    int64_t samples = 0;          // samples run
    int64_t cached_features = 0;  // of those, image features reused instead of encoded

    double total_s() const { return vision_s + prefill_s + decode_s + forced_s + metrics_s; }
    EvalTimings& operator+=(const EvalTimings& o) {
        vision_s += o.vision_s, prefill_s += o.prefill_s, decode_s += o.decode_s, forced_s += o.forced_s;
        metrics_s += o.metrics_s, samples += o.samples, cached_features += o.cached_features;
        return *this;
    }
};

}  // namespace vlmq::eval
