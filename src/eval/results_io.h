#pragma once
// Model answers ("predictions") on disk: VQAv2 results JSON [{question_id, answer}] and LLaVA answer
// jsonl ({question_id, prompt, text, model_id, metadata} per line).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/output_guard.h"
#include "eval/dataset.h"

namespace vlmq::eval {

// question_id -> raw answer text (ordered, so writers emit ascending ids).
using Predictions = std::map<int64_t, std::string>;

// Reads a VQAv2 results array [{question_id, answer}], or jsonl lines with {question_id, text} (LLaVA
// answers) or {question_id, answer}. Fails on duplicate ids, naming the file and entry or line.
Predictions read_predictions(const std::filesystem::path& path);

// VQAv2 results, sorted by question_id, one entry per line.
std::string render_vqa_results(const Predictions& predictions);
// A results file vlmq wrote: a JSON array of {question_id, answer} laid out exactly as render_vqa_results does.
OutputKind vqa_results_output_kind();
// Written atomically; replaces an existing `path` only when it is a results file vlmq wrote (or empty), or with
// `force`.
void write_vqa_results(const std::filesystem::path& path, const Predictions& predictions, bool force = false);

// LLaVA answers jsonl in dataset order ("prompt" is the question text). Every sample needs a prediction.
void write_llava_answers(const std::filesystem::path& path, const VqaDataset& dataset,
                         const Predictions& predictions, std::string_view model_id);

}  // namespace vlmq::eval
