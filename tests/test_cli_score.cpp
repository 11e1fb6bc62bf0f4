#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/fs_util.h"
#include "core/json_util.h"
#include "test_util.h"

using namespace vlmq;
namespace fs = std::filesystem;

namespace {

fs::path vqa_fixtures() { return test::data_dir() / "vqa"; }

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t\n\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\n\r") - b + 1);
}

json run_json(const std::vector<std::string>& args) {
    auto full = args;
    full.insert(full.begin(), "score");
    full.push_back("--json");
    const auto r = test::run_vlmq(full);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
}

}  // namespace

// The tiny test split: every question's 10 GT answers are identical, so the official score is the
// exact-match rate of the trimmed prediction. Computed here straight from the raw files.
TEST(CliScore, TinyTestSplitMatchesIndependentExactMatchRate) {
    const fs::path dir = test::tiny_data_dir() / "test";
    const json ann = json::parse(read_text_file(dir / "vqa_annotations.json"));
    std::map<int64_t, std::string> gt;
    for (const auto& a : ann["annotations"]) {
        for (const auto& x : a["answers"]) ASSERT_EQ(x["answer"], a["answers"][0]["answer"]);
        gt[a["question_id"].get<int64_t>()] = a["answers"][0]["answer"].get<std::string>();
    }
    std::ifstream in(dir / "reference_predictions.jsonl");
    std::string line;
    int64_t n = 0, correct = 0;
    while (std::getline(in, line)) {
        if (trim(line).empty()) continue;
        const json p = json::parse(line);
        ++n;
        correct += trim(p["answer"].get<std::string>()) == gt.at(p["question_id"].get<int64_t>());
    }
    ASSERT_EQ(n, 1000);
    const double expected = std::round(100.0 * double(correct) / double(n) * 100.0) / 100.0;

    const json j = run_json({"--results", (dir / "reference_predictions.jsonl").string(), "--annotations",
                             (dir / "vqa_annotations.json").string(), "--questions",
                             (dir / "vqa_questions.json").string()});
    EXPECT_EQ(j["overall"].get<double>(), expected);
    EXPECT_EQ(j["n"], 1000);
    EXPECT_EQ(j["normalizer"], "official");
    EXPECT_EQ(j["metric"], "vqa");
    ASSERT_EQ(j["evalQA"].size(), 1000u);
    int64_t hundreds = 0;
    for (const auto& [id, v] : j["evalQA"].items()) {
        ASSERT_TRUE(v == 0.0 || v == 100.0) << id;
        hundreds += v == 100.0;
    }
    EXPECT_EQ(hundreds, correct);
    EXPECT_EQ(j["perAnswerType"].size(), 3u);
    EXPECT_EQ(j["perQuestionType"].size(), 5u);

    // The split folder as --annotations gives the same numbers.
    const json k = run_json({"--results", (dir / "reference_predictions.jsonl").string(), "--annotations", dir.string()});
    EXPECT_EQ(k["overall"], j["overall"]);
    EXPECT_EQ(k["perQuestionType"], j["perQuestionType"]);
}

TEST(CliScore, HandMadeMixedFixtureOfficial) {
    const json j = run_json({"--results", (vqa_fixtures() / "mixed_results.json").string(), "--annotations",
                             (vqa_fixtures() / "mixed_annotations.json").string(), "--questions",
                             (vqa_fixtures() / "mixed_questions.json").string()});
    const json expected = json::parse(R"({
        "metric": "vqa", "normalizer": "official", "n": 8, "overall": 80.0,
        "perQuestionType": {"how many": 96.67, "is there": 45.0, "what color": 100.0,
                            "what color is the": 60.0, "what is": 100.0},
        "perAnswerType": {"number": 96.67, "other": 86.67, "yes/no": 45.0},
        "evalQA": {"1": 90.0, "2": 100.0, "3": 0.0, "4": 90.0, "5": 60.0, "6": 100.0, "7": 100.0, "8": 100.0}})");
    EXPECT_EQ(j, expected);
}

TEST(CliScore, HandMadeMixedFixtureEvalAiFromLlavaAnswers) {
    const json j = run_json({"--results", (vqa_fixtures() / "mixed_answers.jsonl").string(), "--annotations",
                             (vqa_fixtures() / "mixed_annotations.json").string(), "--normalizer", "evalai"});
    EXPECT_EQ(j["overall"].get<double>(), 92.5);
    EXPECT_EQ(j["perAnswerType"]["yes/no"].get<double>(), 95.0);
    EXPECT_EQ(j["evalQA"]["3"].get<double>(), 100.0);
    EXPECT_EQ(j["normalizer"], "evalai");
}

TEST(CliScore, HumanReadableOutput) {
    const auto r = test::run_vlmq({"score", "--results", (vqa_fixtures() / "mixed_results.json").string(),
                                   "--annotations", (vqa_fixtures() / "mixed_annotations.json").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out,
              "questions: 8  metric: vqa  normalizer: official\n"
              "overall accuracy: 80.00\n"
              "per answer type:\n"
              "  number    96.67  (n=3)\n"
              "  other     86.67  (n=3)\n"
              "  yes/no    45.00  (n=2)\n"
              "per question type:\n"
              "  how many             96.67  (n=3)\n"
              "  is there             45.00  (n=2)\n"
              "  what color          100.00  (n=1)\n"
              "  what color is the    60.00  (n=1)\n"
              "  what is             100.00  (n=1)\n");
}

TEST(CliScore, CocoQaFolderUsesExactMatch) {
    const std::vector<std::string> base = {"--results", (vqa_fixtures() / "cocoqa_results.json").string(),
                                           "--annotations", (vqa_fixtures() / "cocoqa").string()};
    json j = run_json(base);
    EXPECT_EQ(j["metric"], "exact");
    EXPECT_EQ(j["overall"].get<double>(), 75.0);
    EXPECT_EQ(j["perAnswerType"], json::parse(R"({"color": 0.0, "location": 100.0, "number": 100.0, "object": 100.0})"));
    auto none = base;
    none.insert(none.end(), {"--normalizer", "none"});
    EXPECT_EQ(run_json(none)["overall"].get<double>(), 0.0);
    auto vqa = base;
    vqa.insert(vqa.end(), {"--metric", "vqa"});  // one GT answer: leave-one-out falls back to exact match
    EXPECT_EQ(run_json(vqa)["overall"].get<double>(), 0.0);  // official never normalizes a lone answer
}

TEST(CliScore, ResultIdsMustEqualAnnotationIds) {
    test::TempDir tmp;
    const fs::path results = tmp / "r.json";
    write_file_atomic(results, R"([{"question_id": 1, "answer": "2"}, {"question_id": 2, "answer": "4"},
                                   {"question_id": 42, "answer": "x"}])");
    const auto r = test::run_vlmq({"score", "--results", results.string(), "--annotations",
                                   (vqa_fixtures() / "mixed_annotations.json").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "vlmq: error: " + results.string() +
                         ": results must answer exactly the 8 annotated questions, got 3: 6 missing (first: "
                         "question_id 3), 1 not in the annotations (first: question_id 42)\n");
}

TEST(CliScore, BadInputsFailWithOneLine) {
    test::TempDir tmp;
    const std::string ann = (vqa_fixtures() / "mixed_annotations.json").string();
    write_file_atomic(tmp / "dup.jsonl", "{\"question_id\": 1, \"text\": \"a\"}\n{\"question_id\": 1, \"text\": \"b\"}\n");
    auto r = test::run_vlmq({"score", "--results", (tmp / "dup.jsonl").string(), "--annotations", ann});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "vlmq: error: " + (tmp / "dup.jsonl").string() + ":2: duplicate question_id 1\n");

    r = test::run_vlmq({"score", "--results", (tmp / "missing.json").string(), "--annotations", ann});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "vlmq: error: " + (tmp / "missing.json").string() + ": cannot open file\n");

    r = test::run_vlmq({"score", "--results", (vqa_fixtures() / "mixed_results.json").string(), "--annotations",
                        (vqa_fixtures() / "mixed_questions.json").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "vlmq: error: " + (vqa_fixtures() / "mixed_questions.json").string() +
                         ": not a VQAv2 annotations file (no 'annotations' array)\n");

    r = test::run_vlmq({"score", "--results", (vqa_fixtures() / "mixed_results.json").string(), "--annotations", ann,
                        "--normalizer", "lmms"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("--normalizer"), std::string::npos) << r.err;
}
