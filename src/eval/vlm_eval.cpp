#include "eval/vlm_eval.h"

#include <algorithm>

#include "core/error.h"
#include "core/phase_timer.h"
#include "core/progress.h"
#include "eval/fidelity.h"

namespace vlmq::eval {

namespace {

// What the samples run so far add up to.
struct Tally {
    FidelityAccumulator fid;
    double vqa_sum = 0, exact_sum = 0;
    int64_t labeled = 0, samples = 0;
};

Metrics metrics_of(const Tally& t, quant::ValidationMetric metric) {
    Metrics m;
    m.samples = t.samples;
    if (t.labeled) {
        m.vqa = t.vqa_sum / double(t.labeled);
        m.exact = t.exact_sum / double(t.labeled);
    }
    m.kld = t.fid.mean_kld();
    m.top1 = t.fid.top1_agreement();
    m.agreement = t.fid.answer_agreement();
    if (quant::metric_needs_labels(metric))
        m.accuracy = metric == quant::ValidationMetric::Vqa ? m.vqa : m.exact;
    else
        m.accuracy = metric == quant::ValidationMetric::Kld ? m.top1 : m.agreement;
    return m;
}

// The tally if every sample from `next` on were perfect: each adds its positions as top-1 agreements with zero
// KLD, an agreeing answer and full label scores. The sums grow in the order the real run would add to them, so
// with float rounding too no real outcome beats this bound.
Tally best_case(Tally t, const std::vector<PreparedSample>& samples, const ReferenceRun& ref, size_t next) {
    for (size_t j = next; j < samples.size(); ++j) {
        const int64_t positions = int64_t(ref.logits[j].size()) / ref.vocab;
        t.fid.positions += positions;
        t.fid.top1_same += positions;
        ++t.fid.answers;
        ++t.fid.answers_same;
        if (!samples[j].sample->answers.empty()) {
            ++t.labeled;
            t.vqa_sum += 1.0;
            t.exact_sum += 1.0;
        }
    }
    return t;
}

}  // namespace

ModelRun run_model(const model::FastVLM& model, const std::vector<PreparedSample>& samples,
                   const ReferenceRun* reference, const Compute& c, const EvalOptions& options) {
    if (quant::metric_needs_labels(options.metric) &&
        std::none_of(samples.begin(), samples.end(), [](const auto& s) { return !s.sample->answers.empty(); }))
        fail("metric '{}' needs labeled validation data (use 'agreement' or 'kld' instead)",
             quant::metric_name(options.metric));
    if (reference && reference->vocab != model.vocab_limit())
        fail("reference and candidate disagree on the vocabulary ({} vs {})", reference->vocab, model.vocab_limit());
    ModelRun run;
    run.record.vocab = model.vocab_limit();
    Tally tally;
    model::GenerateOptions gen;
    gen.max_new_tokens = options.max_new_tokens;
    const bool need_logits = options.record_logits || reference;
    Progress bar(options.label.empty() ? "evaluate" : options.label, int64_t(samples.size()), "samples",
                 options.progress);
    for (size_t i = 0; i < samples.size(); ++i) {
        const PreparedSample& s = samples[i];
        EvalTimings* t = options.timings;
        std::vector<float> features;
        if (options.features && options.features->has(i)) {
            features = options.features->get(i);
            if (t) ++t->cached_features;
        } else {
            PhaseTimer vision(t ? &t->vision_s : nullptr);
            features = model.encode_image(c, s.pixels.data());
            vision.stop();
            if (options.features) options.features->put(i, features);
        }
        model::ScoredGeneration sg;
        if (need_logits)  // teacher-forced over the reference's answer (or this model's own when recording one)
            sg = model.generate_scored(c, features.data(), s.prompt_ids, gen,
                                       reference ? &reference->answer_ids[i] : nullptr);
        else
            sg.generation = model.generate_from_features(c, features.data(), s.prompt_ids, gen);
        const model::GenerateResult& g = sg.generation;
        if (t) {
            t->prefill_s += g.timings.prefill_ms / 1e3;
            t->decode_s += g.timings.decode_ms / 1e3;
            t->forced_s += sg.forced_ms / 1e3;
            ++t->samples;
        }
        PhaseTimer measuring(t ? &t->metrics_s : nullptr);
        run.predictions[s.sample->question_id] = g.text;
        run.record.answers.push_back(g.text);
        run.record.answer_ids.push_back(g.token_ids);
        ++tally.samples;
        if (!s.sample->answers.empty()) {
            ++tally.labeled;
            tally.vqa_sum += vqa_accuracy(g.text, s.sample->answers, Normalizer::official);
            tally.exact_sum += exact_match(g.text, s.sample->answers, Normalizer::official);
        }
        if (reference) {
            tally.fid.add_positions(reference->logits[i], sg.logits, model.vocab_limit());
            tally.fid.add_answer(reference->answers[i], g.text);
        }
        if (options.record_logits) run.record.logits.push_back(std::move(sg.logits));
        bar.advance();
        if (reference && options.can_pass && i + 1 < samples.size()) {
            const Tally best = best_case(tally, samples, *reference, i + 1);
            Metrics m = metrics_of(best, options.metric);
            m.samples = tally.samples;
            if (!options.can_pass(m)) {
                run.metrics = m;
                run.stopped_after = tally.samples;
                return run;
            }
        }
    }
    run.metrics = metrics_of(tally, options.metric);
    return run;
}

}  // namespace vlmq::eval
