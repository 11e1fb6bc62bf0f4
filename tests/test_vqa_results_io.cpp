#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "core/fs_util.h"
#include "eval/results_io.h"
#include "test_util.h"

using namespace vlmq;
using namespace vlmq::eval;
namespace fs = std::filesystem;

namespace {

using vlmq::test::error_of;

}  // namespace

TEST(VqaResultsIo, VqaResultsAreSortedOnePerLineAndRoundTrip) {
    test::TempDir tmp;
    const Predictions p{{30, "two \"dogs\""}, {4, "yes"}, {17, "café"}};
    write_vqa_results(tmp / "r.json", p);
    EXPECT_EQ(read_text_file(tmp / "r.json"),
              "[\n"
              "{\"question_id\":4,\"answer\":\"yes\"},\n"
              "{\"question_id\":17,\"answer\":\"café\"},\n"
              "{\"question_id\":30,\"answer\":\"two \\\"dogs\\\"\"}\n"
              "]\n");
    EXPECT_EQ(read_predictions(tmp / "r.json"), p);
    write_vqa_results(tmp / "empty.json", {});
    EXPECT_EQ(read_text_file(tmp / "empty.json"), "[\n]\n");
    for (const auto& e : fs::directory_iterator(tmp.path()))  // no temporary files left behind
        EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST(VqaResultsIo, InvalidUtf8IsReplacedNotFatal) {
    test::TempDir tmp;
    write_vqa_results(tmp / "r.json", {{1, "a\xff"}});
    EXPECT_EQ(read_text_file(tmp / "r.json"), "[\n{\"question_id\":1,\"answer\":\"a\xef\xbf\xbd\"}\n]\n");
}

TEST(VqaResultsIo, LlavaAnswersFollowDatasetOrder) {
    test::TempDir tmp;
    VqaDataset ds;
    ds.name = "d";
    ds.samples.resize(2);
    ds.samples[0].question_id = 9;
    ds.samples[0].question = "What?";
    ds.samples[1].question_id = 2;
    ds.samples[1].question = "How many?";
    const Predictions p{{2, "3"}, {9, "cat"}};
    write_llava_answers(tmp / "a.jsonl", ds, p, "tiny-q4");
    EXPECT_EQ(read_text_file(tmp / "a.jsonl"),
              "{\"question_id\":9,\"prompt\":\"What?\",\"text\":\"cat\",\"model_id\":\"tiny-q4\",\"metadata\":{}}\n"
              "{\"question_id\":2,\"prompt\":\"How many?\",\"text\":\"3\",\"model_id\":\"tiny-q4\",\"metadata\":{}}\n");
    EXPECT_EQ(read_predictions(tmp / "a.jsonl"), p);
    EXPECT_EQ(error_of([&] { write_llava_answers(tmp / "b.jsonl", ds, {{9, "cat"}}, "m"); }),
              (tmp / "b.jsonl").string() + ": no answer for question_id 2 of dataset 'd'");
    EXPECT_FALSE(fs::exists(tmp / "b.jsonl"));
}

TEST(VqaResultsIo, ReadsPredictionJsonlAndTinyReferencePredictions) {
    const Predictions ref = read_predictions(test::tiny_data_dir() / "test" / "reference_predictions.jsonl");
    ASSERT_EQ(ref.size(), 1000u);
    EXPECT_EQ(ref.begin()->first, 1);
    EXPECT_EQ(ref.at(1), "0");
    EXPECT_EQ(ref.at(2), "circle");
    EXPECT_EQ(ref.rbegin()->first, 1000);
}

TEST(VqaResultsIo, ReadErrors) {
    test::TempDir tmp;
    auto err = [&](const std::string& name, const std::string& text) {
        write_file_atomic(tmp / name, text);
        return error_of([&] { read_predictions(tmp / name); });
    };
    const std::string f = (tmp / "x").string();
    EXPECT_EQ(err("x", "  \n"), f + ": empty results file");
    EXPECT_EQ(err("x", R"([{"question_id": 1, "answer": "a"}, {"question_id": 1, "answer": "b"}])"),
              f + ": entry 1: duplicate question_id 1");
    EXPECT_EQ(err("x", R"([{"question_id": 1, "text": "a"}])"), f + ": entry 0: missing field 'answer'");
    EXPECT_EQ(err("x", R"([{"question_id": 1, "answer": 5}])"),
              f + ": entry 0: field 'answer' must be a string, got 5");
    EXPECT_EQ(err("x", R"([1])"), f + ": entry 0: expected a JSON object");
    EXPECT_EQ(err("x", "{\"question_id\": 1}\n"), f + ":1: missing field 'text' or 'answer'");
    EXPECT_EQ(err("x", "{\"question_id\": 1, \"text\": \"a\"}\n\n{\"question_id\": 1, \"answer\": \"b\"}\n"),
              f + ":3: duplicate question_id 1");
    EXPECT_EQ(err("x", "[{\"question_id\": 1,").rfind(f + ": invalid JSON: ", 0), 0u);
    // A number beyond double's range is invalid JSON too, in both layouts (was an uncaught out_of_range).
    EXPECT_EQ(err("x", R"([{"question_id": 1e400, "answer": "a"}])"),
              f + ": field 'question_id': number 1e400 is out of range (beyond +-1.8e308)");
    EXPECT_EQ(err("x", "{\"question_id\": 1, \"answer\": \"a\"}\n{\"question_id\": 9e9999}\n"),
              f + ":2: field 'question_id': number 9e9999 is out of range (beyond +-1.8e308)");
}
