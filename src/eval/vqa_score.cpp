#include "eval/vqa_score.h"

#include <algorithm>
#include <map>

#include "core/error.h"

namespace vlmq::eval {

std::string_view metric_name(Metric m) { return m == Metric::vqa ? "vqa" : "exact"; }

Metric parse_metric(std::string_view name, std::string_view where) {
    if (name == "vqa") return Metric::vqa;
    if (name == "exact") return Metric::exact_match;
    fail("{}: unknown metric '{}' (expected vqa or exact)", where, name);
}

Metric default_metric(const VqaDataset& dataset) {
    return dataset.format == DatasetFormat::cocoqa ? Metric::exact_match : Metric::vqa;
}

double leave_one_out_accuracy(std::string_view prediction, std::span<const std::string> answers) {
    const int64_t n = int64_t(answers.size());
    if (n == 0) fail("VQA accuracy: no ground-truth answers");
    const int64_t k = std::count(answers.begin(), answers.end(), prediction);
    if (n == 1) return k == 1 ? 1.0 : 0.0;
    // Upstream sums min(1, count/3) as floats; summing min(3, count) as integers and dividing once gives
    // the correctly rounded mean (acc(k) = 0, 0.3, 0.6, 0.9, 1 exactly) and differs by at most an ulp.
    int64_t thirds = 0;
    for (const std::string& a : answers) thirds += std::min<int64_t>(3, k - (a == prediction ? 1 : 0));
    return double(thirds) / double(3 * n);
}

double vqa_accuracy(std::string_view prediction, std::span<const std::string> answers, Normalizer normalizer) {
    if (answers.empty()) fail("VQA accuracy: no ground-truth answers");
    std::vector<std::string> gt;
    gt.reserve(answers.size());
    std::string pred;
    if (normalizer == Normalizer::evalai) {
        for (const auto& a : answers) gt.push_back(normalize(Normalizer::evalai, a));
        pred = normalize(Normalizer::evalai, prediction);
    } else {
        for (const auto& a : answers) gt.push_back(clean_whitespace(a));
        pred = clean_whitespace(prediction);
        const bool disagree = std::any_of(gt.begin(), gt.end(), [&](const std::string& a) { return a != gt[0]; });
        if (normalizer == Normalizer::official && disagree) {
            for (auto& a : gt) a = process_digit_article(process_punctuation(a));
            pred = process_digit_article(process_punctuation(pred));
        }
    }
    return leave_one_out_accuracy(pred, gt);
}

double exact_match(std::string_view prediction, std::span<const std::string> answers, Normalizer normalizer) {
    if (answers.empty()) fail("exact match: no ground-truth answers");
    const std::string pred = normalize(normalizer, prediction);
    for (const auto& a : answers)
        if (normalize(normalizer, a) == pred) return 1.0;
    return 0.0;
}

double question_accuracy(Metric metric, Normalizer normalizer, std::string_view prediction,
                         std::span<const std::string> answers) {
    return metric == Metric::vqa ? vqa_accuracy(prediction, answers, normalizer)
                                 : exact_match(prediction, answers, normalizer);
}

void check_result_ids(const VqaDataset& dataset, const Predictions& predictions, std::string_view results_name) {
    size_t missing = 0, matched = 0;
    int64_t first_missing = 0;
    for (const VqaSample& s : dataset.samples) {
        if (predictions.count(s.question_id)) {
            ++matched;
        } else if (missing++ == 0) {
            first_missing = s.question_id;
        }
    }
    const size_t extra = predictions.size() - matched;
    if (missing == 0 && extra == 0) return;
    std::string detail;
    if (missing) detail += fmt::format("{} missing (first: question_id {})", missing, first_missing);
    if (extra) {
        std::vector<int64_t> ids;
        for (const VqaSample& s : dataset.samples) ids.push_back(s.question_id);
        std::sort(ids.begin(), ids.end());
        int64_t first_extra = 0;
        for (const auto& [id, answer] : predictions)
            if (!std::binary_search(ids.begin(), ids.end(), id)) {
                first_extra = id;
                break;
            }
        detail += fmt::format("{}{} not in the annotations (first: question_id {})", missing ? ", " : "", extra,
                              first_extra);
    }
    fail("{}: results must answer exactly the {} annotated questions, got {}: {}", results_name,
         dataset.samples.size(), predictions.size(), detail);
}

ScoreReport score_dataset(const VqaDataset& dataset, const Predictions& predictions, Metric metric,
                          Normalizer normalizer, std::string_view results_name) {
    if (!dataset.has_answers) fail("dataset '{}' has no answers to score against", dataset.name);
    check_result_ids(dataset, predictions, results_name);
    ScoreReport r;
    r.metric = metric;
    r.normalizer = normalizer;
    r.n = int64_t(dataset.samples.size());
    struct Sum {
        double total = 0.0;
        int64_t count = 0;
    };
    std::map<std::string, Sum> by_question_type, by_answer_type;
    double total = 0.0;
    for (const VqaSample& s : dataset.samples) {
        const double acc = question_accuracy(metric, normalizer, predictions.at(s.question_id), s.answers);
        r.questions.push_back({s.question_id, acc});
        total += acc;
        if (!s.question_type.empty()) {
            by_question_type[s.question_type].total += acc;
            by_question_type[s.question_type].count += 1;
        }
        if (!s.answer_type.empty()) {
            by_answer_type[s.answer_type].total += acc;
            by_answer_type[s.answer_type].count += 1;
        }
    }
    // Same expression as upstream: 100 * sum / n.
    r.overall = 100.0 * total / double(r.n);
    for (const auto& [name, sum] : by_question_type)
        r.per_question_type.push_back({name, sum.count, 100.0 * sum.total / double(sum.count)});
    for (const auto& [name, sum] : by_answer_type)
        r.per_answer_type.push_back({name, sum.count, 100.0 * sum.total / double(sum.count)});
    return r;
}

}  // namespace vlmq::eval
