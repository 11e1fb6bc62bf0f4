#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "eval/dataset.h"
#include "test_util.h"

using namespace vlmq;
using namespace vlmq::eval;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

using vlmq::test::error_of;

std::string load_error(const DatasetSpec& spec) {
    return error_of([&] { load_dataset(spec); });
}

DatasetSpec spec_for(const fs::path& path) {
    DatasetSpec s;
    s.path = path;
    return s;
}

struct Split {
    const char* name;
    size_t questions, images;
};
constexpr Split kSplits[] = {{"calib", 1000, 1000}, {"val", 600, 300}, {"test", 1000, 500}};

}  // namespace

TEST(Dataset, TinySplitsInBothLayoutsGiveIdenticalSamples) {
    for (const Split& split : kSplits) {
        SCOPED_TRACE(split.name);
        const fs::path dir = test::tiny_data_dir() / split.name;
        const VqaDataset vqa = load_dataset(spec_for(dir));  // prefers vqa_questions.json + vqa_annotations.json
        const VqaDataset llava = load_dataset(spec_for(dir / "questions.jsonl"));
        EXPECT_EQ(vqa.format, DatasetFormat::vqav2);
        EXPECT_EQ(llava.format, DatasetFormat::llava);
        EXPECT_EQ(vqa.name, split.name);
        EXPECT_EQ(llava.name, "questions");
        ASSERT_EQ(vqa.samples.size(), split.questions);
        ASSERT_EQ(llava.samples.size(), split.questions);
        EXPECT_TRUE(vqa.has_answers);
        EXPECT_TRUE(llava.has_answers);
        std::set<fs::path> images;
        for (size_t i = 0; i < vqa.samples.size(); ++i) {
            const VqaSample& a = vqa.samples[i];
            const VqaSample& b = llava.samples[i];
            ASSERT_EQ(a.question_id, b.question_id);
            ASSERT_EQ(a.question_id, int64_t(i) + 1);
            ASSERT_EQ(a.image_id, b.image_id);
            ASSERT_EQ(a.image, b.image);
            ASSERT_EQ(a.image, dir / "images" / fmt::format("{}_{:05d}.png", split.name, a.image_id));
            ASSERT_TRUE(fs::is_regular_file(a.image));
            ASSERT_EQ(a.question, b.question);
            ASSERT_FALSE(a.question.empty());
            ASSERT_EQ(a.answers.size(), 10u);
            ASSERT_EQ(b.answers.size(), 1u);
            for (const auto& ans : a.answers) ASSERT_EQ(ans, b.answers[0]);
            ASSERT_FALSE(a.question_type.empty());
            ASSERT_TRUE(a.answer_type == "yes/no" || a.answer_type == "number" || a.answer_type == "other");
            images.insert(a.image);
        }
        EXPECT_EQ(images.size(), split.images);
        // The folder itself read as LLaVA layout gives the same samples.
        DatasetSpec as_llava = spec_for(dir);
        as_llava.format = DatasetFormat::llava;
        const VqaDataset folder = load_dataset(as_llava);
        ASSERT_EQ(folder.samples.size(), llava.samples.size());
        EXPECT_EQ(folder.samples.back().image, llava.samples.back().image);
        EXPECT_EQ(folder.name, split.name);
    }
}

TEST(Dataset, FirstTestQuestion) {
    const VqaDataset ds = load_dataset(spec_for(test::tiny_data_dir() / "test"));
    const VqaSample& s = ds.samples[0];
    EXPECT_EQ(s.question, "How many triangles are there?");
    EXPECT_EQ(s.image_id, 0);
    EXPECT_EQ(s.question_type, "how many");
    EXPECT_EQ(s.answer_type, "number");
    EXPECT_EQ(s.answers[0], "0");
}

TEST(Dataset, ExplicitVqaFilesAndImagePattern) {
    const fs::path dir = test::tiny_data_dir() / "val";
    DatasetSpec spec;
    spec.questions = dir / "vqa_questions.json";
    spec.annotations = dir / "vqa_annotations.json";
    spec.images = dir / "images";
    spec.image_pattern = "val_{image_id:05d}.png";
    const VqaDataset ds = load_dataset(spec);
    EXPECT_EQ(ds.format, DatasetFormat::vqav2);
    ASSERT_EQ(ds.samples.size(), 600u);
    EXPECT_EQ(ds.samples[3].image, dir / "images" / "val_00001.png");

    // Without a pattern, explicit files use the COCO naming with the file's data_subtype.
    spec.image_pattern.clear();
    spec.check_images = false;
    EXPECT_EQ(load_dataset(spec).samples[3].image, dir / "images" / "COCO_val_000000000001.jpg");
    spec.check_images = true;
    EXPECT_EQ(load_error(spec), fmt::format("{}: 300 of 300 image files are missing (first: {})",
                                            spec.annotations.string(),
                                            (dir / "images" / "COCO_val_000000000000.jpg").string()));

    // An annotations file alone is enough when questions are not required (scoring).
    DatasetSpec scoring;
    scoring.annotations = dir / "vqa_annotations.json";
    scoring.require_questions = false;
    scoring.check_images = false;
    const VqaDataset only = load_dataset(scoring);
    ASSERT_EQ(only.samples.size(), 600u);
    EXPECT_TRUE(only.samples[0].question.empty());
    EXPECT_TRUE(only.samples[0].image.empty());
    EXPECT_EQ(only.samples[5].answers, ds.samples[5].answers);
    scoring.require_questions = true;
    EXPECT_EQ(load_error(scoring), fmt::format("{}: no VQAv2 questions file", scoring.annotations.string()));
}

TEST(Dataset, ImagePatternPlaceholders) {
    EXPECT_EQ(expand_image_pattern("COCO_val2014_{image_id:012d}.jpg", 42, 7, "", "p"), "COCO_val2014_000000000042.jpg");
    EXPECT_EQ(expand_image_pattern("{data_subtype}/{image_id}_{question_id:03d}.png", 5, 7, "train", "p"),
              "train/5_007.png");
    EXPECT_EQ(expand_image_pattern("{image_id:d}-{question_id:01d}", 12, 3, "", "p"), "12-3");
    EXPECT_EQ(expand_image_pattern("plain.png", 1, 2, "", "p"), "plain.png");
    EXPECT_EQ(error_of([] { expand_image_pattern("{image}.png", 1, 2, "", "pat"); }),
              "pat: unknown placeholder '{image}' (known: {image_id}, {question_id}, {data_subtype})");
    EXPECT_EQ(error_of([] { expand_image_pattern("{image_id:12d}.png", 1, 2, "", "pat"); }),
              "pat: unsupported format '{image_id:12d}' (use {image_id} or {image_id:0Nd})");
    EXPECT_EQ(error_of([] { expand_image_pattern("{image_id", 1, 2, "", "pat"); }), "pat: unterminated placeholder");
    EXPECT_EQ(error_of([] { expand_image_pattern("a}b", 1, 2, "", "pat"); }), "pat: unmatched '}'");
    EXPECT_EQ(error_of([] { expand_image_pattern("{data_subtype}.png", 1, 2, "", "pat"); }),
              "pat: uses {data_subtype} but the dataset declares none");

    DatasetSpec spec = spec_for(test::tiny_data_dir() / "test");
    spec.image_pattern = "{img}.png";
    EXPECT_EQ(load_error(spec), "image pattern '{img}.png': unknown placeholder '{img}' (known: {image_id}, "
                                "{question_id}, {data_subtype})");
}

TEST(Dataset, StripsTheShortAnswerPromptSuffix) {
    EXPECT_EQ(strip_prompt_suffix("What is it?\nAnswer the question using a single word or phrase."), "What is it?");
    EXPECT_EQ(strip_prompt_suffix("What is it?"), "What is it?");
    EXPECT_EQ(strip_prompt_suffix("Answer the question using a single word or phrase."),
              "Answer the question using a single word or phrase.");

    test::TempDir tmp;
    write(tmp / "images/a.png", "x");
    write(tmp / "questions.jsonl",
          R"({"question_id": "17", "image": "images/a.png", "text": "Q?\nAnswer the question using a single word or phrase.", "answers": ["x", {"answer": "y"}], "question_type": "what", "answer_type": "other"})"
          "\n\n");
    const VqaDataset ds = load_dataset(spec_for(tmp.path()));
    ASSERT_EQ(ds.samples.size(), 1u);
    EXPECT_EQ(ds.samples[0].question_id, 17);
    EXPECT_EQ(ds.samples[0].question, "Q?");
    EXPECT_EQ(ds.samples[0].answers, (std::vector<std::string>{"x", "y"}));
    EXPECT_EQ(ds.samples[0].question_type, "what");
    EXPECT_EQ(ds.samples[0].answer_type, "other");
}

TEST(Dataset, SelectSamplesIsSeededAndKeepsOrder) {
    const VqaDataset ds = load_dataset(spec_for(test::tiny_data_dir() / "test"));
    auto ids = [](const VqaDataset& d) {
        std::vector<int64_t> v;
        for (const auto& s : d.samples) v.push_back(s.question_id);
        return v;
    };
    EXPECT_EQ(ids(select_samples(ds, 5, 42)), (std::vector<int64_t>{27, 183, 339, 414, 553}));
    EXPECT_EQ(ids(select_samples(ds, 5, 43)), (std::vector<int64_t>{18, 135, 161, 265, 464}));
    EXPECT_EQ(ids(select_samples(ds, 5, 42)), ids(select_samples(ds, 5, 42)));
    const VqaDataset big = select_samples(ds, 600, 7);
    ASSERT_EQ(big.samples.size(), 600u);
    for (size_t i = 1; i < big.samples.size(); ++i)
        ASSERT_LT(big.samples[i - 1].question_id, big.samples[i].question_id);
    EXPECT_EQ(big.name, "test");
    EXPECT_TRUE(big.has_answers);
    EXPECT_EQ(select_samples(ds, 1000, 1).samples.size(), 1000u);
    EXPECT_EQ(ids(select_samples(ds, 5000, 1)), ids(ds));
    EXPECT_TRUE(select_samples(ds, 0, 1).samples.empty());
}

TEST(Dataset, CocoQaFolder) {
    test::TempDir tmp;
    const fs::path dir = tmp / "cocoqa";
    write(dir / "questions.txt", "what is on the table\nhow many dogs are there\nwhat color is the bus\nwhere is the cat\n");
    write(dir / "answers.txt", "cup\nthree\nred\nkitchen\n");
    write(dir / "img_ids.txt", "42\n7\n42\n9\n");
    write(dir / "types.txt", "0\n1\n2\n3\n");
    for (int id : {7, 9, 42}) write(dir / "images" / fmt::format("COCO_val2014_{:012d}.jpg", id), "x");
    DatasetSpec spec = spec_for(dir);
    spec.image_pattern = "COCO_val2014_{image_id:012d}.jpg";
    const VqaDataset ds = load_dataset(spec);
    EXPECT_EQ(ds.format, DatasetFormat::cocoqa);
    EXPECT_EQ(ds.name, "cocoqa");
    ASSERT_EQ(ds.samples.size(), 4u);
    EXPECT_EQ(ds.samples[1].question_id, 2);
    EXPECT_EQ(ds.samples[1].image_id, 7);
    EXPECT_EQ(ds.samples[1].question, "how many dogs are there");
    EXPECT_EQ(ds.samples[1].answers, (std::vector<std::string>{"three"}));
    EXPECT_EQ(ds.samples[0].answer_type, "object");
    EXPECT_EQ(ds.samples[1].answer_type, "number");
    EXPECT_EQ(ds.samples[2].answer_type, "color");
    EXPECT_EQ(ds.samples[3].answer_type, "location");
    EXPECT_EQ(ds.samples[3].question_type, "location");
    EXPECT_EQ(ds.samples[2].image, dir / "images" / "COCO_val2014_000000000042.jpg");

    spec.image_pattern.clear();
    EXPECT_EQ(load_error(spec), dir.string() + ": image files cannot be located: give an image folder and pattern");
    write(dir / "types.txt", "0\n1\n5\n3\n");
    EXPECT_EQ(load_error(spec),
              (dir / "types.txt").string() + ":3: unknown type 5 (expected 0 object, 1 number, 2 color, 3 location)");
    write(dir / "types.txt", "0\n1\n2\n");
    EXPECT_EQ(load_error(spec), dir.string() + ": types.txt has 3 lines but questions.txt has 4");
    write(dir / "types.txt", "0\n1\n2\n3\n");
    write(dir / "img_ids.txt", "42\nseven\n42\n9\n");
    EXPECT_EQ(load_error(spec), (dir / "img_ids.txt").string() + ":2: bad image id 'seven'");
}

TEST(Dataset, LlavaErrors) {
    test::TempDir tmp;
    const fs::path q = tmp / "questions.jsonl";
    const std::string q1 = R"({"question_id": 1, "image": "a.png", "text": "Q1"})";
    const std::string q2 = R"({"question_id": 2, "image": "b.png", "text": "Q2"})";
    write(tmp / "a.png", "x");

    write(q, q1 + "\n{\"question_id\": 2,\n");
    EXPECT_EQ(load_error(spec_for(q)).rfind(q.string() + ":2: invalid JSON: ", 0), 0u) << load_error(spec_for(q));

    write(q, q1 + "\n" + q1 + "\n");
    EXPECT_EQ(load_error(spec_for(q)), q.string() + ":2: duplicate question_id 1");

    write(q, q1 + "\n[1]\n");
    EXPECT_EQ(load_error(spec_for(q)), q.string() + ":2: expected a JSON object per line");

    write(q, R"({"question_id": 1.5, "image": "a.png", "text": "Q1"})");
    EXPECT_EQ(load_error(spec_for(q)),
              q.string() + ":1: question_id must be an integer or a string of digits, got 1.5");

    write(q, R"({"question_id": 1, "text": "Q1"})");
    EXPECT_EQ(load_error(spec_for(q)), q.string() + ":1: missing field 'image'");

    write(q, "\n");
    EXPECT_EQ(load_error(spec_for(q)), q.string() + ": no questions");

    // Missing images: count of distinct files and the first one.
    write(q, q1 + "\n" + q2 + "\n" + R"({"question_id": 3, "image": "c.png", "text": "Q3"})" + "\n");
    EXPECT_EQ(load_error(spec_for(q)),
              fmt::format("{}: 2 of 3 image files are missing (first: {})", q.string(), (tmp / "b.png").string()));
    DatasetSpec no_check = spec_for(q);
    no_check.check_images = false;
    EXPECT_FALSE(load_dataset(no_check).has_answers);
    no_check.require_answers = true;
    EXPECT_EQ(load_error(no_check), q.string() + ": the questions have no answers (annotations are needed here)");

    // answers.jsonl beside the questions.
    const fs::path a = tmp / "answers.jsonl";
    write(a, R"({"question_id": 1, "answer": "yes"})" "\n" R"({"question_id": 5, "answer": "no"})" "\n");
    EXPECT_EQ(load_error(no_check), a.string() + ":2: answer for question_id 5, which is not in " + q.string());
    write(a, R"({"question_id": 1, "answer": "yes"})" "\n");
    EXPECT_EQ(load_error(no_check), q.string() + ": 2 of 3 questions have no answer (first: question_id 2)");
    write(a, R"({"question_id": 1, "answer": "yes"})" "\n" R"({"question_id": 1, "answer": "no"})" "\n");
    EXPECT_EQ(load_error(no_check), a.string() + ":2: question_id 1 already has an answer");
    write(a, R"({"question_id": 1, "answer": 3})" "\n");
    EXPECT_EQ(load_error(no_check), a.string() + ":1: field 'answer' must be a string, got 3");
    write(a, R"({"question_id": 1, "answers": []})" "\n");
    EXPECT_EQ(load_error(no_check), a.string() + ":1: field 'answers' must be a non-empty array, got []");

    write(a, R"({"question_id": 1, "answer": "yes"})" "\n" R"({"question_id": 2, "answer": "no"})" "\n"
             R"({"question_id": 3, "answers": ["a", "b"]})" "\n");
    const VqaDataset ds = load_dataset(no_check);
    EXPECT_TRUE(ds.has_answers);
    EXPECT_EQ(ds.samples[2].answers, (std::vector<std::string>{"a", "b"}));
    // An answers file alone is enough for scoring.
    DatasetSpec answers_only;
    answers_only.annotations = a;
    answers_only.require_questions = false;
    answers_only.check_images = false;
    const VqaDataset ao = load_dataset(answers_only);
    ASSERT_EQ(ao.samples.size(), 3u);
    EXPECT_EQ(ao.format, DatasetFormat::llava);
    EXPECT_EQ(ao.samples[1].answers, (std::vector<std::string>{"no"}));
}

TEST(Dataset, VqaJsonErrors) {
    test::TempDir tmp;
    const fs::path qf = tmp / "vqa_questions.json", af = tmp / "vqa_annotations.json";
    const std::string ann1 = R"({"question_id": 1, "image_id": 3, "question_type": "what", "answer_type": "other",
                                  "answers": [{"answer": "x", "answer_id": 1}]})";
    DatasetSpec spec = spec_for(tmp.path());
    spec.check_images = false;

    write(qf, R"({"data_subtype": "s", "questions": [{"image_id": 3, "question": "Q", "question_id": 1},
                                                    {"image_id": 4, "question": "Q", "question_id": 1}]})");
    EXPECT_EQ(load_error(spec), qf.string() + ": questions[1]: duplicate question_id 1");

    write(qf, R"({"data_subtype": "s", "questions": [{"image_id": 3, "question": "Q", "question_id": 1}]})");
    write(af, R"({"annotations": [)" + ann1 + R"(, {"question_id": 9, "image_id": 3, "answers": ["y"]}]})");
    EXPECT_EQ(load_error(spec), af.string() + ": annotations[1]: annotation for question_id 9, which is not in " +
                                    qf.string());
    write(af, R"({"annotations": [{"question_id": 1, "image_id": 5, "answers": ["y"]}]})");
    EXPECT_EQ(load_error(spec), af.string() + ": annotations[0]: image_id 5 differs from 3 in " + qf.string());
    write(af, R"({"annotations": [)" + ann1 + "," + ann1 + "]}");
    EXPECT_EQ(load_error(spec), af.string() + ": annotations[1]: duplicate annotation for question_id 1");
    write(af, R"({"annotations": [{"question_id": 1, "image_id": 3}]})");
    EXPECT_EQ(load_error(spec), af.string() + ": annotations[0]: missing field 'answers'");
    write(af, R"({"questions": []})");
    EXPECT_EQ(load_error(spec), af.string() + ": not a VQAv2 annotations file (no 'annotations' array)");
    write(af, "{\"annotations\": [\n");
    EXPECT_EQ(load_error(spec).rfind(af.string() + ": invalid JSON: ", 0), 0u) << load_error(spec);

    write(af, R"({"annotations": [)" + ann1 + "]}");
    const VqaDataset ds = load_dataset(spec);
    ASSERT_EQ(ds.samples.size(), 1u);
    EXPECT_EQ(ds.samples[0].image, tmp / "images" / "s_00003.png");
    EXPECT_EQ(ds.samples[0].answers, (std::vector<std::string>{"x"}));
    spec.check_images = true;
    EXPECT_EQ(load_error(spec), fmt::format("{}: 1 of 1 image files are missing (first: {})", tmp.path().string(),
                                            (tmp / "images" / "s_00003.png").string()));
}

// Found by fuzz_dataset_llava / fuzz_dataset_vqav2: a number beyond double's range made nlohmann throw
// out_of_range, which escaped as an internal error instead of an input error.
TEST(Dataset, NumbersOutOfRangeAreInvalidJson) {
    test::TempDir tmp;
    const fs::path q = tmp / "questions.jsonl";
    write(q, "{\"question_id\": 1, \"image\": \"a.png\", \"text\": \"Q\"}\n{\"question_id\": 1e400}\n");
    EXPECT_EQ(load_error(spec_for(q)),
              q.string() + ":2: field 'question_id': number 1e400 is out of range (beyond +-1.8e308)");
    write(q, "{\"question_id\": -2e308, \"image\": \"a.png\", \"text\": \"Q\"}\n");
    EXPECT_EQ(load_error(spec_for(q)),
              q.string() + ":1: field 'question_id': number -2e308 is out of range (beyond +-1.8e308)");

    const fs::path vq = tmp / "vqa" / "vqa_questions.json";
    write(vq, R"({"data_subtype": "s", "questions": [{"image_id": 3, "question": "Q", "question_id": 1e999}]})");
    DatasetSpec spec = spec_for(vq.parent_path());
    spec.check_images = false;
    EXPECT_EQ(load_error(spec),
              vq.string() + ": field 'question_id': number 1e999 is out of range (beyond +-1.8e308)");
}

TEST(Dataset, PathErrors) {
    test::TempDir tmp;
    EXPECT_EQ(load_error(spec_for(tmp / "nope.jsonl")), (tmp / "nope.jsonl").string() + ": no such file or directory");
    EXPECT_EQ(load_error(spec_for(tmp.path())),
              tmp.path().string() +
                  ": not a dataset folder (expected vqa_questions.json, questions.jsonl or questions.txt in it)");
    write(tmp / "data.csv", "x");
    EXPECT_EQ(load_error(spec_for(tmp / "data.csv")),
              (tmp / "data.csv").string() + ": cannot tell the dataset format (expected a folder, a .jsonl or a .json file)");
    EXPECT_EQ(load_error(DatasetSpec{}), "no dataset given (a path, or questions/annotations files)");
    DatasetSpec llava;
    llava.questions = tmp / "missing.jsonl";
    EXPECT_EQ(load_error(llava), (tmp / "missing.jsonl").string() + ": cannot open file");
    EXPECT_EQ(parse_dataset_format("cocoqa", "f"), DatasetFormat::cocoqa);
    EXPECT_EQ(error_of([] { parse_dataset_format("gqa", "--format"); }),
              "--format: unknown dataset format 'gqa' (expected auto, llava, vqav2 or cocoqa)");
}
