#include "eval/score_report.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

namespace vlmq::eval {

double round_decimals(double value, int decimals) {
    // printf's %.Nf is correctly rounded from the exact binary value (ties to even under the default
    // rounding mode), which is what Python 3's round() computes; parsing it back gives the nearest double.
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return std::strtod(buf, nullptr);
}

ordered_json report_json(const ScoreReport& r) {
    constexpr int kDecimals = 2;  // vqaEval.py's n
    ordered_json j;
    j["metric"] = std::string(metric_name(r.metric));
    j["normalizer"] = std::string(normalizer_name(r.normalizer));
    j["n"] = r.n;
    j["overall"] = round_decimals(r.overall, kDecimals);
    ordered_json qt = ordered_json::object(), at = ordered_json::object(), qa = ordered_json::object();
    for (const auto& t : r.per_question_type) qt[t.name] = round_decimals(t.percent, kDecimals);
    for (const auto& t : r.per_answer_type) at[t.name] = round_decimals(t.percent, kDecimals);
    for (const auto& q : r.questions) qa[std::to_string(q.question_id)] = round_decimals(100.0 * q.accuracy, kDecimals);
    j["perQuestionType"] = std::move(qt);
    j["perAnswerType"] = std::move(at);
    j["evalQA"] = std::move(qa);
    return j;
}

std::string report_text(const ScoreReport& r) {
    auto pct = [](double p) { return fmt::format("{:.2f}", round_decimals(p, 2)); };
    std::string out = fmt::format("questions: {}  metric: {}  normalizer: {}\n", r.n, metric_name(r.metric),
                                  normalizer_name(r.normalizer));
    out += fmt::format("overall accuracy: {}\n", pct(r.overall));
    auto table = [&](const char* title, const std::vector<TypeScore>& rows) {
        if (rows.empty()) return;
        size_t width = 4;
        for (const auto& t : rows) width = std::max(width, t.name.size());
        out += fmt::format("{}:\n", title);
        for (const auto& t : rows) out += fmt::format("  {:<{}}  {:>7}  (n={})\n", t.name, width, pct(t.percent), t.count);
    };
    table("per answer type", r.per_answer_type);
    table("per question type", r.per_question_type);
    return out;
}

}  // namespace vlmq::eval
