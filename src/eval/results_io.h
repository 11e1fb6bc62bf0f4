#pragma once
// Model answers ("predictions") on disk: VQAv2 results JSON [{question_id, answer}] and LLaVA answer
// jsonl ({question_id, prompt, text, model_id, metadata} per line).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "eval/dataset.h"

namespace vlmq::eval {

// question_id -> raw answer text (ordered, so writers emit ascending ids).
using Predictions = std::map<int64_t, std::string>;

// Reads a VQAv2 results array [{question_id, answer}], or jsonl lines with {question_id, text} (LLaVA
// answers) or {question_id, answer}. Fails on duplicate ids, naming the file and entry or line.
Predictions read_predictions(const std::filesystem::path& path);

// VQAv2 results, sorted by question_id, one entry per line; written atomically.
void write_vqa_results(const std::filesystem::path& path, const Predictions& predictions);

// LLaVA answers jsonl in dataset order ("prompt" is the question text). Every sample needs a prediction.
void write_llava_answers(const std::filesystem::path& path, const VqaDataset& dataset,
                         const Predictions& predictions, std::string_view model_id);

}  // namespace vlmq::eval
