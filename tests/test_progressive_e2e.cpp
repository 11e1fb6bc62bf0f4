// End-to-end runs of calibration, evaluation and progressive quantization on the tiny model (small sample
// counts; the README documents the full 1000-sample run).
#include <gtest/gtest.h>

#include <fstream>

#include "calib/calib_stats.h"
#include "core/fs_util.h"
#include "core/json_util.h"
#include "eval/results_io.h"
#include "test_util.h"

using namespace vlmq;
namespace fs = std::filesystem;

namespace {

std::string model_dir() { return test::tiny_model_dir().string(); }
std::string split(const std::string& s) { return (test::tiny_data_dir() / s).string(); }

json run_json(const std::vector<std::string>& args) {
    auto r = test::run_vlmq(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json();
}

}  // namespace

// A split with the reference's greedy answers, its size, and the score they earn (the asset's report.json).
struct ReferenceSplit {
    test::BundledModel model;
    std::string split;
    size_t questions = 0;
    double overall = 0;
};
void PrintTo(const ReferenceSplit& s, std::ostream* os) { *os << s.model.name << " " << s.split; }

class EvalE2E : public ::testing::TestWithParam<ReferenceSplit> {};

// tiny-a's reference ran with TF32 matmuls on a GPU, shapes' in exact fp32 on a CPU; a near-tie could flip an
// answer. None does: every differing question is listed, and their count is asserted.
TEST_P(EvalE2E, UnquantizedModelReproducesTheReferencePredictions) {
    const ReferenceSplit& c = GetParam();
    test::TempDir dir;
    const json j = run_json({"eval", "--model", c.model.model().string(), "--data", (c.model.data() / c.split).string(),
                             "--out", (dir / "results.json").string(), "--json"});
    EXPECT_EQ(j["activations"], "fp32");
    const auto ours = eval::read_predictions(dir / "results.json");
    const auto ref = eval::read_predictions(c.model.data() / c.split / "reference_predictions.jsonl");
    ASSERT_EQ(ours.size(), c.questions);
    ASSERT_EQ(ref.size(), c.questions);
    size_t differ = 0;
    for (const auto& [qid, answer] : ref) {
        const std::string& mine = ours.at(qid);
        if (mine == answer) continue;
        ++differ;
        std::printf("  %s %s question %lld: vlmq '%s', reference '%s'\n", c.model.name.c_str(), c.split.c_str(),
                    static_cast<long long>(qid), mine.c_str(), answer.c_str());
    }
    std::printf("%s %s: %zu of %zu answers differ from the reference\n", c.model.name.c_str(), c.split.c_str(), differ,
                ref.size());
    EXPECT_EQ(differ, 0u);
    EXPECT_DOUBLE_EQ(j["score"]["overall"].get<double>(), c.overall);
}

INSTANTIATE_TEST_SUITE_P(Splits, EvalE2E,
                         ::testing::Values(ReferenceSplit{test::tiny_a(), "test", 1000, 40.4},
                                           ReferenceSplit{test::shapes(), "test", 1000, 59.9},
                                           ReferenceSplit{test::shapes(), "val", 600, 59.67}),
                         [](const auto& info) { return info.param.model.name + "_" + info.param.split; });

TEST(CalibrateE2E, CollectsStatisticsForEveryMatrixProduct) {
    test::TempDir dir;
    const json j = run_json({"calibrate", "--model", model_dir(), "--data", split("calib"), "--samples", "12", "--out",
                             (dir / "stats.safetensors").string(), "--json"});
    EXPECT_EQ(j["samples"], 12);
    const auto stats = calib::CalibrationStats::load(dir / "stats.safetensors");
    EXPECT_EQ(stats->samples, 12);
    // 23 vision matrix products, the projector's 2, 7 per decoder layer x 2 and the LM head.
    EXPECT_EQ(stats->all().size(), 23u + 2u + 14u + 1u);
    const auto* down = stats->find("model.layers.1.mlp.down_proj.weight");
    ASSERT_NE(down, nullptr);
    EXPECT_EQ(down->k, 352);
    EXPECT_GT(down->rows, 12 * 40);  // every prompt + answer position of every sample
    EXPECT_TRUE(down->has_hessian());
    const auto* fc1 = stats->find("model.vision_tower.vision_tower.model.network.0.0.convffn.fc1.weight");
    ASSERT_NE(fc1, nullptr);
    EXPECT_EQ(fc1->rows, 12 * 64 * 64);  // every pixel of stage 0 (64x64) of every image
}

TEST(ProgressiveE2E, AdrConfigProducesAPackageAndAReportWithinBudget) {
    test::TempDir dir;
    const fs::path pkg = dir / "tiny.vlmq";
    const json rep = run_json({"quantize", "--model", model_dir(), "--config",
                               (fs::path(VLMQ_TEST_DATA) / ".." / ".." / "configs" / "adr-001.json").string(), "--calib",
                               split("calib"), "--calib-samples", "24", "--val", split("val"), "--val-samples", "40",
                               "--out", pkg.string(), "--report", (dir / "copy.json").string(), "--json"});
    for (const char* f : {"manifest.json", "model.safetensors", "report.json", "report.md", "report.svg", "tokenizer.json"})
        EXPECT_TRUE(fs::exists(pkg / f)) << f;
    EXPECT_EQ(rep["baseline"]["metric"], "agreement");
    EXPECT_EQ(rep["baseline"]["accuracy"], 1.0);
    ASSERT_GE(rep["steps"].size(), 4u);
    std::set<std::string> components;
    for (const auto& s : rep["steps"]) {
        components.insert(s["component"].get<std::string>());
        for (const char* k : {"format", "algorithm", "accuracy", "kld", "size_bytes", "decision"})
            EXPECT_TRUE(s.contains(k)) << k;
    }
    EXPECT_EQ(components.size(), 4u);
    const auto& fin = rep["final"];
    EXPECT_TRUE(fin["criteria"]["size"].get<bool>());
    EXPECT_TRUE(fin["criteria"]["retention"].get<bool>());
    EXPECT_GE(fin["retention"].get<double>(), 0.95);
    EXPECT_EQ(json::parse(read_text_file(dir / "copy.json")), rep);
    EXPECT_TRUE(read_json_file(pkg / "manifest.json").contains("validation"));
    // The package runs.
    auto run = test::run_vlmq({"run", "--model", pkg.string(), "--image",
                               (test::tiny_data_dir() / "test" / "images" / "test_00000.png").string(), "--prompt",
                               "How many triangles are there?\nAnswer the question using a single word or phrase."});
    EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST(ProgressiveE2E, TightBudgetFallsBackToHigherPrecision) {
    test::TempDir dir;
    std::ofstream(dir / "tight.json") << R"({"vision_encoder":"int4","text_encoder":"int4","fusion_layers":"int4",
        "decoder":"int2","validation":{"metric":"agreement","min_retention":0.98,"samples":40}})";
    const json rep = run_json({"quantize", "--model", model_dir(), "--config", (dir / "tight.json").string(), "--calib",
                               split("calib"), "--calib-samples", "24", "--val", split("val"), "--out",
                               (dir / "t.vlmq").string(), "--json"});
    int fell_back = 0;
    for (const auto& s : rep["steps"]) fell_back += s["decision"] == "fell_back" && s["accepted"].get<bool>();
    EXPECT_GE(fell_back, 1) << rep["steps"].dump(1);
    EXPECT_TRUE(rep["final"]["criteria"]["retention"].get<bool>());
    EXPECT_GE(rep["final"]["retention"].get<double>(), 0.98);
    // The final package really contains the fallback precision chosen for the decoder.
    const json manifest = read_json_file(dir / "t.vlmq" / "manifest.json");
    EXPECT_NE(manifest["tensors"]["model.layers.0.mlp.up_proj.weight"]["format"], "int2_g32_sym");
}

TEST(ProgressiveE2E, DataAwareRoundingLowersKldAtEqualSize) {
    test::TempDir dir;
    run_json({"calibrate", "--model", model_dir(), "--data", split("calib"), "--samples", "32", "--out",
              (dir / "stats.safetensors").string(), "--json"});
    std::map<std::string, double> kld;
    std::map<std::string, int64_t> size;
    for (const std::string algo : {"rtn", "weighted", "gptq"}) {
        std::ofstream(dir / (algo + ".json"))
            << R"({"decoder":{"bits":4,"group_size":32,"algorithm":")" + algo + R"("}})";
        const fs::path pkg = dir / (algo + ".vlmq");
        const json q = run_json({"quantize", "--model", model_dir(), "--config", (dir / (algo + ".json")).string(),
                                 "--stats", (dir / "stats.safetensors").string(), "--out", pkg.string(), "--json"});
        size[algo] = q["totals"]["bytes_after"].get<int64_t>();
        const json e = run_json({"eval", "--model", pkg.string(), "--reference", model_dir(), "--data", split("val"),
                                 "--samples", "60", "--json"});
        kld[algo] = e["fidelity"]["kld"].get<double>();
    }
    std::printf("decoder int4 KLD: rtn %.6f weighted %.6f gptq %.6f\n", kld["rtn"], kld["weighted"], kld["gptq"]);
    EXPECT_EQ(size["rtn"], size["gptq"]);
    EXPECT_EQ(size["rtn"], size["weighted"]);
    EXPECT_GT(kld["rtn"], 0.0);
    EXPECT_LT(kld["gptq"], kld["rtn"]);
    EXPECT_LT(kld["weighted"], kld["rtn"]);
}

// --- shapes-fastvlm: a model whose answers depend on its weights, validated by VQA accuracy ---------------

namespace {

std::string shapes_split(const std::string& s) { return (test::shapes().data() / s).string(); }

// configs/adr-001.json with `extra` keys added (or replaced).
fs::path adr_with(const test::TempDir& dir, const json& extra) {
    json cfg = read_json_file(fs::path(VLMQ_TEST_DATA) / ".." / ".." / "configs" / "adr-001.json");
    cfg.update(extra);
    const fs::path p = dir / "adr.json";
    std::ofstream(p) << cfg.dump();
    return p;
}

json quantize_shapes(const test::TempDir& dir, const fs::path& config, int calib, int val) {
    return run_json({"quantize", "--model", test::shapes().model().string(), "--config", config.string(), "--calib",
                     shapes_split("calib"), "--calib-samples", std::to_string(calib), "--val", shapes_split("val"),
                     "--val-samples", std::to_string(val), "--out", (dir / "shapes.vlmq").string(), "--json"});
}

void print_steps(const json& rep) {
    std::printf("baseline vqa %.4f\n", rep["baseline"]["accuracy"].get<double>());
    for (const auto& s : rep["steps"])
        std::printf("  %-15s %-14s %-8s vqa %.4f retention %.3f kld %.5f %s%s %s\n",
                    s["component"].get<std::string>().c_str(), s["format"].get<std::string>().c_str(),
                    s["algorithm"].get<std::string>().c_str(), s["accuracy"].get<double>(),
                    s["retention"].get<double>(), s["kld"].get<double>(), s["decision"].get<std::string>().c_str(),
                    s["accepted"].get<bool>() ? " (accepted)" : "", s.value("note", "").c_str());
}

}  // namespace

// The ADR plan at the issue's bar (>= 99 % of the baseline VQA accuracy), falling back per unit: every
// component ends accepted and the package meets the bar.
TEST(ShapesProgressiveE2E, AdrPlanKeeps99PercentOfVqaAccuracyOrFallsBackUntilItDoes) {
    test::TempDir dir;
    const json rep = quantize_shapes(
        dir, adr_with(dir, {{"validation", {{"metric", "vqa"}, {"min_retention", 0.99}}}, {"per_layer_fallback", true}}),
        32, 100);
    print_steps(rep);
    EXPECT_EQ(rep["metric"], "vqa");
    EXPECT_EQ(rep["activations"], "fp32");
    EXPECT_GT(rep["baseline"]["accuracy"].get<double>(), 0.5);  // the model answers from the image
    std::map<std::string, bool> ended_accepted;
    for (const auto& s : rep["steps"]) {
        const std::string d = s["decision"];
        if (d == "ranked" || d == "undone") continue;  // measurements and reverted moves, not outcomes
        ended_accepted[s["component"]] = s["accepted"].get<bool>();
    }
    EXPECT_EQ(ended_accepted.size(), 4u);
    for (const auto& [comp, ok] : ended_accepted) EXPECT_TRUE(ok) << comp;
    EXPECT_TRUE(rep["final"]["criteria"]["retention"].get<bool>());
    EXPECT_GE(rep["final"]["retention"].get<double>(), 0.99);
    EXPECT_LT(rep["final"]["size_bytes"].get<int64_t>(), int64_t(5598456));  // still quantized
}

// An int3 vision tower costs about 12 points of VQA accuracy (RTN): with a 98 % budget the loop must fall back,
// and ends within the budget.
TEST(ShapesProgressiveE2E, TightBudgetForcesAFallbackAndEndsWithinIt) {
    test::TempDir dir;
    const json rep = quantize_shapes(
        dir,
        adr_with(dir, {{"vision_encoder", "int3"},
                       {"validation", {{"metric", "vqa"}, {"min_retention", 0.98}}},
                       {"per_layer_fallback", true},
                       {"order", {"vision_encoder"}}}),
        32, 100);
    print_steps(rep);
    int fell_back = 0;
    for (const auto& s : rep["steps"])
        fell_back += s["component"] == "vision_encoder" &&
                     (s["decision"] == "fell_back" || s["decision"] == "lowered") && s["accepted"].get<bool>();
    EXPECT_GE(fell_back, 1) << rep["steps"].dump(1);
    EXPECT_EQ(rep["steps"][0]["decision"], "rejected");
    EXPECT_TRUE(rep["final"]["criteria"]["retention"].get<bool>());
    EXPECT_GE(rep["final"]["retention"].get<double>(), 0.98);
}
