#include <gtest/gtest.h>

#include "test_util.h"

#include "core/error.h"
#include "eval/score_report.h"
#include "eval/vqa_score.h"

using namespace vlmq;
using namespace vlmq::eval;

namespace {

std::vector<std::string> repeat(std::initializer_list<std::pair<int, std::string>> parts) {
    std::vector<std::string> out;
    for (const auto& [n, s] : parts) out.insert(out.end(), size_t(n), s);
    return out;
}

using vlmq::test::error_of;

VqaSample sample(int64_t id, std::string qt, std::string at, std::vector<std::string> answers) {
    VqaSample s;
    s.question_id = id;
    s.image_id = id;
    s.question_type = std::move(qt);
    s.answer_type = std::move(at);
    s.answers = std::move(answers);
    return s;
}

// A hand-made annotation set with known per-question accuracies under the official normalizer.
VqaDataset mixed_dataset() {
    VqaDataset ds;
    ds.name = "mixed";
    ds.format = DatasetFormat::vqav2;
    ds.has_answers = true;
    ds.samples = {
        sample(1, "how many", "number", repeat({{3, "2"}, {7, "3"}})),          // "Two": 0.9
        sample(2, "how many", "number", repeat({{10, "4"}})),                   // "4": 1
        sample(3, "is there", "yes/no", repeat({{10, "yes"}})),                 // "Yes": 0 (no normalization)
        sample(4, "is there", "yes/no", repeat({{7, "yes"}, {3, "no"}})),       // "no": 0.9
        sample(5, "what color is the", "other", repeat({{8, "red"}, {2, "dark red"}})),  // "dark red": 0.6
        sample(6, "what color", "other", repeat({{9, "blue"}, {1, "Blue."}})),  // "BLUE": 1 (all normalize to blue)
    };
    return ds;
}

Predictions mixed_predictions() {
    return {{1, "Two"}, {2, "4"}, {3, "Yes"}, {4, "no"}, {5, "dark red"}, {6, "BLUE"}};
}

}  // namespace

TEST(VqaScore, AccuracyOfKMatches) {
    const double expected[11] = {0.0, 0.3, 0.6, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
    for (int k = 0; k <= 10; ++k) {
        const auto answers = repeat({{k, "cat"}, {10 - k, "dog"}});
        EXPECT_EQ(leave_one_out_accuracy("cat", answers), expected[k]) << "k=" << k;
        // Position of the matching answers does not matter.
        const auto reversed = repeat({{10 - k, "dog"}, {k, "cat"}});
        EXPECT_EQ(leave_one_out_accuracy("cat", reversed), expected[k]) << "k=" << k;
    }
}

TEST(VqaScore, OtherAnswerCounts) {
    // One answer: scored as exact match rather than the always-0 leave-one-out.
    EXPECT_EQ(leave_one_out_accuracy("a", std::vector<std::string>{"a"}), 1.0);
    EXPECT_EQ(leave_one_out_accuracy("b", std::vector<std::string>{"a"}), 0.0);
    // Two or three answers: plain leave-one-out (so at most 1/3 and 2/3).
    EXPECT_EQ(leave_one_out_accuracy("a", std::vector<std::string>{"a", "a"}), 1.0 / 3.0);
    EXPECT_EQ(leave_one_out_accuracy("a", std::vector<std::string>{"a", "a", "a"}), 2.0 / 3.0);
    EXPECT_EQ(leave_one_out_accuracy("a", std::vector<std::string>{"a", "b", "a"}), 4.0 / 9.0);
    EXPECT_EQ(error_of([] { leave_one_out_accuracy("a", {}); }), "VQA accuracy: no ground-truth answers");
    EXPECT_EQ(error_of([] { vqa_accuracy("a", {}, Normalizer::official); }), "VQA accuracy: no ground-truth answers");
}

TEST(VqaScore, OfficialNormalizesOnlyWhenAnswersDisagree) {
    const auto all_yes = repeat({{10, "yes"}});
    const auto mostly_yes = repeat({{9, "yes"}, {1, "no"}});
    EXPECT_EQ(vqa_accuracy("Yes", all_yes, Normalizer::official), 0.0);
    EXPECT_EQ(vqa_accuracy("yes.", all_yes, Normalizer::official), 0.0);
    EXPECT_EQ(vqa_accuracy(" yes\n", all_yes, Normalizer::official), 1.0);  // whitespace is always cleaned
    EXPECT_EQ(vqa_accuracy("Yes", mostly_yes, Normalizer::official), 1.0);
    EXPECT_EQ(vqa_accuracy("Yes", all_yes, Normalizer::evalai), 1.0);
    EXPECT_EQ(vqa_accuracy("Yes", mostly_yes, Normalizer::none), 0.0);
    EXPECT_EQ(vqa_accuracy("yes", mostly_yes, Normalizer::none), 1.0);
    // GT answers that differ only in whitespace count as identical (cleaned before the check).
    auto padded = all_yes;
    padded[3] = "yes\t";
    EXPECT_EQ(vqa_accuracy("Yes", padded, Normalizer::official), 0.0);
    // A single answer is never "disagreeing": no normalization under official.
    EXPECT_EQ(vqa_accuracy("The dog", std::vector<std::string>{"dog"}, Normalizer::official), 0.0);
    EXPECT_EQ(vqa_accuracy("The dog", std::vector<std::string>{"dog"}, Normalizer::evalai), 1.0);
}

TEST(VqaScore, TwoAgainstThreeTwosAndSevenThrees) {
    const auto gt = repeat({{3, "2"}, {7, "3"}});
    EXPECT_EQ(vqa_accuracy("Two", gt, Normalizer::official), 0.9);
    EXPECT_EQ(vqa_accuracy("Two", gt, Normalizer::evalai), 0.9);
    EXPECT_EQ(vqa_accuracy("three.", gt, Normalizer::official), 1.0);
    EXPECT_EQ(vqa_accuracy("Two", gt, Normalizer::none), 0.0);
}

TEST(VqaScore, GroundTruthIsNormalizedToo) {
    // 4 x "Two" + 6 x "3": official normalizes the GT to 4 x "2".
    const auto gt = repeat({{4, "Two"}, {6, "3"}});
    EXPECT_EQ(vqa_accuracy("2", gt, Normalizer::official), 1.0);
    // EvalAI splits "girl's" on both sides, so they still match.
    const auto girls = repeat({{2, "girl's"}, {8, "boy"}});
    EXPECT_EQ(vqa_accuracy("Girl's", girls, Normalizer::evalai), 0.6);
    EXPECT_EQ(vqa_accuracy("Girl's", girls, Normalizer::official), 0.6);
}

TEST(VqaScore, ExactMatch) {
    const std::vector<std::string> gt{"cat"};
    EXPECT_EQ(exact_match("Cat.", gt, Normalizer::evalai), 1.0);
    EXPECT_EQ(exact_match("Cat.", gt, Normalizer::official), 1.0);  // always normalized here
    EXPECT_EQ(exact_match("Cat.", gt, Normalizer::none), 0.0);
    EXPECT_EQ(exact_match(" cat\n", gt, Normalizer::none), 1.0);
    EXPECT_EQ(exact_match("two cats", gt, Normalizer::evalai), 0.0);
    EXPECT_EQ(exact_match("dog", std::vector<std::string>{"cat", "dog"}, Normalizer::none), 1.0);
    EXPECT_EQ(question_accuracy(Metric::exact_match, Normalizer::official, "Two", repeat({{3, "2"}, {7, "3"}})), 1.0);
    EXPECT_EQ(question_accuracy(Metric::vqa, Normalizer::official, "Two", repeat({{3, "2"}, {7, "3"}})), 0.9);
}

TEST(VqaScore, BreakdownsOfHandMadeSet) {
    const ScoreReport r = score_dataset(mixed_dataset(), mixed_predictions(), Metric::vqa, Normalizer::official);
    ASSERT_EQ(r.questions.size(), 6u);
    const double expected[6] = {0.9, 1.0, 0.0, 0.9, 0.6, 1.0};
    for (size_t i = 0; i < 6; ++i) {
        EXPECT_EQ(r.questions[i].question_id, int64_t(i) + 1);
        EXPECT_EQ(r.questions[i].accuracy, expected[i]) << i;
    }
    EXPECT_EQ(r.n, 6);
    const ordered_json j = report_json(r);
    EXPECT_EQ(j["overall"].get<double>(), 73.33);  // 100 * 4.4 / 6
    EXPECT_EQ(j["perAnswerType"], (ordered_json{{"number", 95.0}, {"other", 80.0}, {"yes/no", 45.0}}));
    EXPECT_EQ(j["perQuestionType"],
              (ordered_json{{"how many", 95.0}, {"is there", 45.0}, {"what color", 100.0}, {"what color is the", 60.0}}));
    EXPECT_EQ(j["evalQA"],
              (ordered_json{{"1", 90.0}, {"2", 100.0}, {"3", 0.0}, {"4", 90.0}, {"5", 60.0}, {"6", 100.0}}));
    EXPECT_EQ(j["normalizer"], "official");
    EXPECT_EQ(j["metric"], "vqa");
    EXPECT_EQ(j["n"], 6);

    EXPECT_EQ(report_text(r),
              "questions: 6  metric: vqa  normalizer: official\n"
              "overall accuracy: 73.33\n"
              "per answer type:\n"
              "  number    95.00  (n=2)\n"
              "  other     80.00  (n=2)\n"
              "  yes/no    45.00  (n=2)\n"
              "per question type:\n"
              "  how many             95.00  (n=2)\n"
              "  is there             45.00  (n=2)\n"
              "  what color          100.00  (n=1)\n"
              "  what color is the    60.00  (n=1)\n");

    // EvalAI always normalizes, so "Yes" gets full credit: (0.9 + 1 + 1 + 0.9 + 0.6 + 1) / 6.
    const ScoreReport e = score_dataset(mixed_dataset(), mixed_predictions(), Metric::vqa, Normalizer::evalai);
    EXPECT_EQ(report_json(e)["overall"].get<double>(), 90.0);
    EXPECT_EQ(report_json(e)["perAnswerType"]["yes/no"].get<double>(), 95.0);
}

TEST(VqaScore, SamplesWithoutTypesAreLeftOutOfBreakdowns) {
    VqaDataset ds = mixed_dataset();
    ds.samples[0].question_type.clear();
    ds.samples[0].answer_type.clear();
    const ScoreReport r = score_dataset(ds, mixed_predictions(), Metric::vqa, Normalizer::official);
    EXPECT_EQ(report_json(r)["overall"].get<double>(), 73.33);
    EXPECT_EQ(report_json(r)["perAnswerType"]["number"].get<double>(), 100.0);
    EXPECT_EQ(r.per_answer_type[0].count, 1);
}

TEST(VqaScore, CocoQaIsScoredByExactMatch) {
    VqaDataset ds;
    ds.format = DatasetFormat::cocoqa;
    ds.has_answers = true;
    ds.samples = {sample(1, "object", "object", {"cat"}), sample(2, "number", "number", {"three"}),
                  sample(3, "color", "color", {"red"})};
    EXPECT_EQ(default_metric(ds), Metric::exact_match);
    const Predictions p{{1, "Cat."}, {2, "3"}, {3, "blue"}};
    const ScoreReport r = score_dataset(ds, p, default_metric(ds), Normalizer::evalai);
    EXPECT_EQ(report_json(r)["overall"].get<double>(), 66.67);
    EXPECT_EQ(report_json(r)["perAnswerType"], (ordered_json{{"color", 0.0}, {"number", 100.0}, {"object", 100.0}}));
    EXPECT_EQ(default_metric(mixed_dataset()), Metric::vqa);
}

TEST(VqaScore, ResultIdsMustMatchAnnotations) {
    const VqaDataset ds = mixed_dataset();
    Predictions p = mixed_predictions();
    p.erase(3);
    p.erase(5);
    p[99] = "x";
    EXPECT_EQ(error_of([&] { score_dataset(ds, p, Metric::vqa, Normalizer::official, "r.json"); }),
              "r.json: results must answer exactly the 6 annotated questions, got 5: 2 missing (first: question_id 3), "
              "1 not in the annotations (first: question_id 99)");
    p = mixed_predictions();
    p[7] = "x";
    EXPECT_EQ(error_of([&] { check_result_ids(ds, p, "r.json"); }),
              "r.json: results must answer exactly the 6 annotated questions, got 7: 1 not in the annotations "
              "(first: question_id 7)");
    VqaDataset unlabeled = ds;
    unlabeled.has_answers = false;
    EXPECT_EQ(error_of([&] { score_dataset(unlabeled, mixed_predictions(), Metric::vqa, Normalizer::official); }),
              "dataset 'mixed' has no answers to score against");
}

TEST(VqaScore, RoundingMatchesPython3) {
    EXPECT_EQ(round_decimals(0.125, 2), 0.12);  // exact binary tie -> even
    EXPECT_EQ(round_decimals(0.375, 2), 0.38);
    EXPECT_EQ(round_decimals(2.675, 2), 2.67);  // 2.675 is stored as 2.67499999...
    EXPECT_EQ(round_decimals(200.0 / 3.0, 2), 66.67);
    EXPECT_EQ(round_decimals(100 * 0.3, 2), 30.0);
    EXPECT_EQ(round_decimals(-1.005, 2), -1.0);  // -1.00499999...
}

TEST(VqaScore, ParseMetric) {
    EXPECT_EQ(parse_metric("vqa", "m"), Metric::vqa);
    EXPECT_EQ(parse_metric("exact", "m"), Metric::exact_match);
    EXPECT_EQ(error_of([] { parse_metric("wups", "--metric"); }),
              "--metric: unknown metric 'wups' (expected vqa or exact)");
}
