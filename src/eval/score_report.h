#pragma once
// Presentation of a ScoreReport: the JSON layout of the official tool and a human-readable table.
#include <string>

#include "core/json_util.h"
#include "eval/vqa_score.h"

namespace vlmq::eval {

// Python 3 round(value, decimals): the decimal nearest to the exact binary value, ties to even.
double round_decimals(double value, int decimals);

// {"metric", "normalizer", "n", "overall", "perQuestionType", "perAnswerType", "evalQA"}: percentages
// rounded to 2 decimals from the unrounded values, as vqaEval.py does; evalQA keys are question ids.
ordered_json report_json(const ScoreReport& report);

// Overall, per answer type, per question type (with counts), 2 decimals.
std::string report_text(const ScoreReport& report);

}  // namespace vlmq::eval
