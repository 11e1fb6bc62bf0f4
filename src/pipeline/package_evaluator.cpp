#include "pipeline/package_evaluator.h"

#include <fmt/format.h>

#include "core/phase_timer.h"
#include "quant/quantizer.h"

namespace vlmq::pipeline {

namespace fs = std::filesystem;

PackageEvaluator::PackageEvaluator(const io::Checkpoint& ckpt, const model::FastVLM& base_model,
                                   const std::vector<eval::PreparedSample>& samples,
                                   const calib::CalibrationStats* stats, quant::ValidationMetric metric,
                                   fs::path scratch, uint64_t max_shard_bytes, bool progress, const Compute& c,
                                   RunTimings* timings)
    : ckpt_(ckpt), samples_(samples), stats_(stats), scratch_(std::move(scratch)), max_shard_bytes_(max_shard_bytes),
      compute_(c), timings_(timings) {
    options_.metric = metric;
    options_.progress = progress;
    eval::EvalOptions o = options_;
    o.record_logits = true;
    o.label = "baseline";
    if (timings_) o.timings = &timings_->baseline;
    reference_ = eval::run_model(base_model, samples_, nullptr, compute_, o);
}

Evaluation PackageEvaluator::baseline() {
    Evaluation e;
    e.metrics = reference_.metrics;
    e.metrics.kld = 0.0;
    e.metrics.top1 = 1.0;
    e.metrics.agreement = 1.0;
    e.size_bytes = int64_t(ckpt_.total_tensor_bytes());
    return e;
}

Evaluation PackageEvaluator::candidate(const quant::QuantConfig& config, const std::string& label) {
    const fs::path pkg = scratch_ / fmt::format("step-{:02}.vlmq", ++step_);
    quant::QuantizeOptions qo;
    qo.progress = false;
    qo.stats = stats_;
    qo.max_shard_bytes = max_shard_bytes_;
    CandidateTimings ct;
    ct.label = label;
    ct.samples_total = int64_t(samples_.size());
    CandidateTimings* t = timings_ ? &ct : nullptr;
    PhaseTimer quantizing(t ? &t->quantize_s : nullptr);
    const quant::QuantizeReport qr = quant::quantize_checkpoint(ckpt_, config, pkg, compute_, qo);
    quantizing.stop();
    PhaseTimer loading(t ? &t->load_s : nullptr);
    const model::FastVLM candidate(pkg);
    loading.stop();
    eval::EvalOptions o = options_;
    o.label = "validate " + label;
    if (t) o.timings = &t->eval;
    Evaluation e;
    e.metrics = eval::run_model(candidate, samples_, &reference_.record, compute_, o).metrics;
    e.size_bytes = qr.bytes_after;
    fs::remove_all(pkg);
    if (timings_) timings_->candidates.push_back(std::move(ct));
    return e;
}

}  // namespace vlmq::pipeline
