#pragma once
// VQA accuracy (vqaEval.py semantics), exact match, and dataset-level scoring with the official
// breakdowns. Per-question values are fractions in [0, 1]; report percentages are unrounded until
// they are formatted (score_report.h), as upstream rounds only the final numbers.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eval/dataset.h"
#include "eval/results_io.h"
#include "eval/vqa_normalize.h"

namespace vlmq::eval {

enum class Metric {
    vqa,          // leave-one-out min(1, matches/3) over the GT answers
    exact_match,  // 1 when the normalized prediction equals any normalized GT answer (COCO-QA, GQA)
};

std::string_view metric_name(Metric m);
Metric parse_metric(std::string_view name, std::string_view where);  // "vqa" or "exact"
// COCO-QA is scored by exact match; every other format by VQA accuracy.
Metric default_metric(const VqaDataset& dataset);

// Leave-one-out accuracy of an already-normalized prediction: for each answer i, count the other
// answers equal to the prediction, take min(1, count/3), and average. With one answer there are no
// "others", so a single answer is scored as exact match (1 or 0) instead of always 0.
double leave_one_out_accuracy(std::string_view prediction, std::span<const std::string> answers);

// Per-question VQA accuracy. official: '\n'/'\t' cleanup on both sides, and the full normalization only
// when the cleaned GT answers are not all identical (a lone answer never is); evalai: always normalize
// both sides; none: cleanup only. Fails when `answers` is empty.
double vqa_accuracy(std::string_view prediction, std::span<const std::string> answers, Normalizer normalizer);

// 1.0 when normalize(prediction) equals normalize(any answer), else 0.0 (normalization always applied).
double exact_match(std::string_view prediction, std::span<const std::string> answers, Normalizer normalizer);

double question_accuracy(Metric metric, Normalizer normalizer, std::string_view prediction,
                         std::span<const std::string> answers);

// The official results rule: the prediction ids must equal the dataset's question ids. Fails with the
// counts and the first missing and extra id.
void check_result_ids(const VqaDataset& dataset, const Predictions& predictions, std::string_view results_name);

struct QuestionScore {
    int64_t question_id = 0;
    double accuracy = 0.0;  // [0, 1]
};

struct TypeScore {
    std::string name;
    int64_t count = 0;
    double percent = 0.0;  // unrounded
};

struct ScoreReport {
    Metric metric = Metric::vqa;
    Normalizer normalizer = Normalizer::official;
    int64_t n = 0;
    double overall = 0.0;  // percent, unrounded: 100 * sum(accuracy) / n
    std::vector<TypeScore> per_question_type, per_answer_type;  // by name; samples without a type are left out
    std::vector<QuestionScore> questions;                       // dataset order
};

// Scores every sample; check_result_ids() must pass and the dataset must have answers.
ScoreReport score_dataset(const VqaDataset& dataset, const Predictions& predictions, Metric metric,
                          Normalizer normalizer, std::string_view results_name = "results");

}  // namespace vlmq::eval
