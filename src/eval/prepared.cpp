#include "eval/prepared.h"

#include <map>

#include "core/error.h"
#include "core/progress.h"
#include "text/prompt.h"

namespace vlmq::eval {

std::string vqa_user_message(const std::string& question) { return question + std::string(text::kShortAnswerSuffix); }

std::string majority_answer(const std::vector<std::string>& answers) {
    std::map<std::string, int> count;
    std::string best;
    int best_n = 0;
    for (const auto& a : answers)
        if (++count[a] > best_n) {
            best_n = count[a];
            best = a;
        }
    return best;
}

std::vector<PreparedSample> prepare_samples(const model::FastVLM& model, const VqaDataset& dataset,
                                            const Compute& c, bool progress) {
    std::vector<PreparedSample> out(dataset.samples.size());
    Progress bar("load images", int64_t(out.size()), "samples", progress);
    for (size_t i = 0; i < out.size(); ++i) {
        const VqaSample& s = dataset.samples[i];
        PreparedSample& p = out[i];
        p.sample = &s;
        if (s.image.empty()) fail("{}: question {} has no image", dataset.name, s.question_id);
        p.pixels = model.preprocess(image::load_image(s.image));
        p.prompt_ids = model.tokenize_question(vqa_user_message(s.question));
        const std::string label = majority_answer(s.answers);
        if (!label.empty()) p.label_ids = model.tokenizer().encode(label);
        bar.advance();
    }
    (void)c;
    return out;
}

}  // namespace vlmq::eval
