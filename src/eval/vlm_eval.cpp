#include "eval/vlm_eval.h"

#include "core/error.h"
#include "core/phase_timer.h"
#include "core/progress.h"
#include "eval/fidelity.h"

namespace vlmq::eval {

ModelRun run_model(const model::FastVLM& model, const std::vector<PreparedSample>& samples,
                   const ReferenceRun* reference, const Compute& c, const EvalOptions& options) {
    ModelRun run;
    run.record.vocab = model.vocab_limit();
    FidelityAccumulator fid;
    double vqa_sum = 0, exact_sum = 0;
    int64_t labeled = 0;
    model::GenerateOptions gen;
    gen.max_new_tokens = options.max_new_tokens;
    Progress bar(options.label.empty() ? "evaluate" : options.label, int64_t(samples.size()), "samples",
                 options.progress);
    for (size_t i = 0; i < samples.size(); ++i) {
        const PreparedSample& s = samples[i];
        EvalTimings* t = options.timings;
        PhaseTimer vision(t ? &t->vision_s : nullptr);
        const std::vector<float> features = model.encode_image(c, s.pixels.data());
        vision.stop();
        const model::GenerateResult g = model.generate_from_features(c, features.data(), s.prompt_ids, gen);
        if (t) {
            t->prefill_s += g.timings.prefill_ms / 1e3;
            t->decode_s += g.timings.decode_ms / 1e3;
            ++t->samples;
        }
        run.predictions[s.sample->question_id] = g.text;
        run.record.answers.push_back(g.text);
        run.record.answer_ids.push_back(g.token_ids);
        if (!s.sample->answers.empty()) {
            ++labeled;
            vqa_sum += vqa_accuracy(g.text, s.sample->answers, Normalizer::official);
            exact_sum += exact_match(g.text, s.sample->answers, Normalizer::official);
        }
        const bool need_logits = options.record_logits || reference;
        if (need_logits) {
            // Teacher-forced over the reference's answer (or this model's own when recording a reference).
            const std::vector<int32_t>& ids = reference ? reference->answer_ids[i] : g.token_ids;
            std::vector<int32_t> forced = ids;
            if (!forced.empty() && std::find(model.eos_ids().begin(), model.eos_ids().end(), forced.back()) !=
                                       model.eos_ids().end())
                forced.pop_back();  // answer_logits appends the position after the answer itself
            PhaseTimer forcing(t ? &t->forced_s : nullptr);
            std::vector<float> logits = model.answer_logits_from_features(c, features.data(), s.prompt_ids, forced);
            forcing.stop();
            PhaseTimer metrics(t ? &t->metrics_s : nullptr);
            if (reference) {
                if (reference->vocab != model.vocab_limit())
                    fail("reference and candidate disagree on the vocabulary ({} vs {})", reference->vocab,
                         model.vocab_limit());
                fid.add_positions(reference->logits[i], logits, model.vocab_limit());
                fid.add_answer(reference->answers[i], g.text);
            }
            if (options.record_logits) run.record.logits.push_back(std::move(logits));
        }
        bar.advance();
    }
    Metrics& m = run.metrics;
    m.samples = int64_t(samples.size());
    if (labeled) {
        m.vqa = vqa_sum / double(labeled);
        m.exact = exact_sum / double(labeled);
    }
    m.kld = fid.mean_kld();
    m.top1 = fid.top1_agreement();
    m.agreement = fid.answer_agreement();
    if (quant::metric_needs_labels(options.metric)) {
        if (!labeled)
            fail("metric '{}' needs labeled validation data (use 'agreement' or 'kld' instead)",
                 quant::metric_name(options.metric));
        m.accuracy = options.metric == quant::ValidationMetric::Vqa ? m.vqa : m.exact;
    } else if (options.metric == quant::ValidationMetric::Kld) {
        m.accuracy = m.top1;
    } else {
        m.accuracy = m.agreement;
    }
    return run;
}

}  // namespace vlmq::eval
