#include "pipeline/calibrate.h"

#include <algorithm>

#include "core/progress.h"
#include "eval/prepared.h"
#include "image/image.h"

namespace vlmq::pipeline {

std::unique_ptr<calib::CalibrationStats> collect_stats(const model::FastVLM& model, const eval::VqaDataset& samples,
                                                const Compute& c, const calib::CollectOptions& options,
                                                bool progress, CalibrationImages images) {
    auto stats = std::make_unique<calib::CalibrationStats>(options, &c);
    model::ForwardHooks hooks;
    hooks.observe_input = [&](const std::string& name, const float* x, int64_t M, int64_t K, int64_t ldx) {
        stats->observe(name, x, M, K, ldx);
    };
    Progress bar("calibrate", int64_t(samples.samples.size()), "samples", progress);
    for (const auto& s : samples.samples) {
        image::Image img = image::load_image(s.image);
        if (images == CalibrationImages::Blank) std::fill(img.rgb.begin(), img.rgb.end(), uint8_t(0));
        const std::vector<float> pixels = model.preprocess(img);
        const std::vector<int64_t> prompt = model.tokenize_question(eval::vqa_user_message(s.question));
        const std::string answer = eval::majority_answer(s.answers);
        const std::vector<int32_t> answer_ids = answer.empty() ? std::vector<int32_t>() : model.tokenizer().encode(answer);
        model.answer_logits(c, pixels.data(), prompt, answer_ids, &hooks);
        stats->samples += 1;
        bar.advance();
    }
    stats->provenance["dataset"] = samples.name;
    stats->provenance["samples"] = stats->samples;
    stats->provenance["images"] = images == CalibrationImages::Blank ? "blank" : "dataset";
    return stats;
}

}  // namespace vlmq::pipeline
