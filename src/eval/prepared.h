#pragma once
// VQA samples prepared once for repeated model runs: preprocessed pixels and prompt ids (they depend only
// on the image size and the tokenizer, not on weights), plus the reference answer's token ids.
#include <cstdint>
#include <string>
#include <vector>

#include "eval/dataset.h"
#include "core/compute.h"
#include "model/fastvlm.h"

namespace vlmq::eval {

struct PreparedSample {
    const VqaSample* sample = nullptr;
    std::vector<float> pixels;           // [3, S, S]
    std::vector<int64_t> prompt_ids;     // qwen_2 template with the short-answer suffix, -200 at the image
    std::vector<int32_t> label_ids;      // tokens of the most common ground-truth answer (empty when unlabeled)
};

// The user message LLaVA's VQA evaluation uses: question + "\nAnswer the question using a single word or phrase."
std::string vqa_user_message(const std::string& question);
// Most frequent answer (first on ties); "" when none.
std::string majority_answer(const std::vector<std::string>& answers);

std::vector<PreparedSample> prepare_samples(const model::FastVLM& model, const VqaDataset& dataset,
                                            const Compute& c, bool progress);

}  // namespace vlmq::eval
