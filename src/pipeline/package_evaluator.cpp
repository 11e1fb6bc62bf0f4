#include "pipeline/package_evaluator.h"

#include <fmt/format.h>

#include "core/phase_timer.h"
#include "quant/quantizer.h"

namespace vlmq::pipeline {

namespace fs = std::filesystem;

std::string image_path_key(const quant::Plan& plan) {
    std::string key;
    for (const auto& e : plan.entries) {
        if (!model::FastVLM::reads_for_image(e.tensor.name)) continue;
        const auto* scalings = plan.awq.scalings_of(e.tensor.name);
        if (e.keep && !e.awq_producer && !scalings) continue;
        key += e.tensor.name + "=" + (e.keep ? std::string("keep") : e.precision.str());
        if (e.awq_producer) key += " awq-producer";
        if (scalings)
            for (const auto& s : *scalings) {
                const quant::AwqGroup& g = plan.awq.groups[s.group];
                key += fmt::format(" {}:{}:{:a}", int(s.kind), g.key, g.alpha);
            }
        key += "\n";
    }
    return key;
}

PackageEvaluator::PackageEvaluator(const io::Checkpoint& ckpt, const model::FastVLM& base_model,
                                   const std::vector<eval::PreparedSample>& samples,
                                   const calib::CalibrationStats* stats, const EvaluatorOptions& options,
                                   const Compute& c)
    : ckpt_(ckpt), samples_(samples), stats_(stats), options_(options), compute_(c) {
    eval::EvalOptions o;
    o.metric = options_.metric;
    o.progress = options_.progress;
    o.record_logits = true;
    o.label = "baseline";
    o.features = features_for("");
    if (options_.timings) o.timings = &options_.timings->baseline;
    reference_ = eval::run_model(base_model, samples_, nullptr, compute_, o);
}

PackageEvaluator::FeatureSlot PackageEvaluator::new_slot(std::string key) {
    const fs::path spill = options_.scratch / fmt::format("features-{}.f32", ++stores_);
    return {std::move(key),
            std::make_unique<eval::FeatureStore>(samples_.size(), options_.feature_cache_bytes / 2, spill)};
}

eval::FeatureStore* PackageEvaluator::features_for(const std::string& key) {
    ++uses_;
    for (FeatureSlot& f : slots_)
        if (f.store && f.key == key) {
            f.last_use = uses_;
            return f.store.get();
        }
    FeatureSlot& lru = slots_[0].last_use <= slots_[1].last_use ? slots_[0] : slots_[1];
    lru.store.reset();  // its spill file goes before the next one is written
    lru = new_slot(key);
    lru.last_use = uses_;
    return lru.store.get();
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
    return candidate(config, label, nullptr);
}

Evaluation PackageEvaluator::candidate(const quant::QuantConfig& config, const std::string& label,
                                       const Acceptance& passes) {
    const fs::path pkg = options_.scratch / fmt::format("step-{:02}.vlmq", ++step_);
    quant::QuantizeOptions qo;
    qo.progress = false;
    qo.stats = stats_;
    qo.max_shard_bytes = options_.max_shard_bytes;
    CandidateTimings ct;
    ct.label = label;
    ct.samples_total = int64_t(samples_.size());
    CandidateTimings* t = options_.timings ? &ct : nullptr;
    PhaseTimer quantizing(t ? &t->quantize_s : nullptr);
    const quant::QuantizeReport qr = quant::quantize_checkpoint(ckpt_, config, pkg, compute_, qo);
    quantizing.stop();
    PhaseTimer loading(t ? &t->load_s : nullptr);
    // Structure checks only: this process wrote the package a moment ago into its own scratch directory, so hashing
    // it again would only re-read what was just written.
    const model::FastVLM candidate(pkg, {.hashes = package::HashCheck::Skip, .cache_file = {}});
    loading.stop();
    const std::string key = image_path_key(qr.plan);
    eval::EvalOptions o;
    o.metric = options_.metric;
    o.progress = options_.progress;
    o.label = fmt::format("step {} validate {}", step_, label);
    o.features = features_for(key);
    if (options_.early_stop && passes) o.can_pass = passes;
    if (t) o.timings = &t->eval;
    const eval::ModelRun run = eval::run_model(candidate, samples_, &reference_.record, compute_, o);
    Evaluation e;
    e.metrics = run.metrics;
    e.stopped_after = run.stopped_after;
    e.size_bytes = qr.bytes_after;
    fs::remove_all(pkg);
    if (options_.timings) {
        ct.stopped_after = run.stopped_after;
        ct.accuracy = run.metrics.accuracy;
        options_.timings->candidates.push_back(std::move(ct));
    }
    return e;
}

}  // namespace vlmq::pipeline
