// What keeps the progressive loop's validation cheap must not change what it decides: the feature store (memory
// and spill file), image features reused across candidates, and early stopping.
#include <gtest/gtest.h>

#include <fstream>

#include "arch/arch_table.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "eval/feature_store.h"
#include "pipeline/quantize.h"
#include "test_util.h"

using namespace vlmq;
namespace fs = std::filesystem;

namespace {

std::vector<float> sample_values(size_t i) { return test::uniform(1000 + 10 * i, uint32_t(i)); }

TEST(FeatureStore, KeepsWhatFitsInMemoryAndSpillsTheRestExactly) {
    test::TempDir dir;
    const fs::path spill = dir / "spill.f32";
    {
        // Room for samples 0 and 1 (4000 + 4040 bytes), not for 2 (4080 more): 2..4 go to the file.
        eval::FeatureStore store(5, 8100, spill);
        EXPECT_FALSE(fs::exists(spill));  // created only when something spills
        for (size_t i : {0, 1, 2, 3, 4}) store.put(i, sample_values(i));
        EXPECT_EQ(store.memory_bytes(), 4000u + 4040u);
        EXPECT_EQ(store.spilled_bytes(), 4080u + 4120u + 4160u);
        EXPECT_EQ(fs::file_size(spill), 4080u + 4120u + 4160u);
        for (size_t i : {4, 0, 3, 1, 2}) EXPECT_EQ(store.get(i), sample_values(i)) << i;
        EXPECT_NE(test::error_of([&] { store.put(3, sample_values(3)); }), "");
    }
    EXPECT_FALSE(fs::exists(spill));  // removed with the store
    eval::FeatureStore empty(2, 0, spill);
    EXPECT_FALSE(empty.has(1));
    EXPECT_EQ(test::error_of([&] { empty.get(1); }), "feature store: sample 1 was not stored");
}

// The tiny model through `vlmq quantize` in process, with a KLD budget that rejects the planned and retried
// rounding and two whole-component fallback rungs (the candidates validation may stop early on) before int8 passes.
struct QuantizeRun {
    pipeline::QuantizeOutcome outcome;
    pipeline::RunTimings timings;
    std::string tensors;  // the package's model.safetensors bytes
};

QuantizeRun quantize(const fs::path& out, bool early_stop, uint64_t feature_cache_bytes) {
    ThreadPool pool(2);
    Compute c{&pool};
    pipeline::QuantizeRequest req;
    req.model = test::tiny_model_dir();
    req.out = out;
    req.config = quant::QuantConfig::load(test::data_dir() / "early-stop.json",
                                          arch::arch_table_for_dir(req.model));
    eval::DatasetSpec calib, val;
    calib.path = test::tiny_data_dir() / "calib";
    val.path = test::tiny_data_dir() / "val";
    req.calib = calib;
    req.val = val;
    req.calib_samples = 8;
    req.val_samples = 24;
    req.progress = false;
    req.early_stop = early_stop;
    req.feature_cache_bytes = feature_cache_bytes;
    QuantizeRun r;
    req.timings = &r.timings;
    r.outcome = pipeline::quantize(req, c);
    std::ifstream f(out / "model.safetensors", std::ios::binary);
    r.tensors.assign(std::istreambuf_iterator<char>(f), {});
    return r;
}

class ValidationCost : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new test::TempDir;
        exhaustive_ = new QuantizeRun(quantize(*dir_ / "exhaustive.vlmq", false, 1ull << 30));
        early_ = new QuantizeRun(quantize(*dir_ / "early.vlmq", true, 1ull << 30));
    }
    static void TearDownTestSuite() {
        delete exhaustive_;
        delete early_;
        delete dir_;
    }
    static inline test::TempDir* dir_ = nullptr;
    static inline QuantizeRun *exhaustive_ = nullptr, *early_ = nullptr;
};

TEST_F(ValidationCost, EarlyStopDecidesAsTheExhaustiveRun) {
    const auto& a = exhaustive_->outcome.progressive->result;
    const auto& b = early_->outcome.progressive->result;
    ASSERT_EQ(a.steps.size(), b.steps.size());
    int stopped = 0;
    for (size_t i = 0; i < a.steps.size(); ++i) {
        const auto &x = a.steps[i], &y = b.steps[i];
        EXPECT_EQ(x.component, y.component) << i;
        EXPECT_EQ(x.precision, y.precision) << i;
        EXPECT_EQ(x.units, y.units) << i;
        EXPECT_EQ(x.decision, y.decision) << i;
        EXPECT_EQ(x.accepted, y.accepted) << i;
        EXPECT_EQ(x.eval.stopped_after, 0) << i;
        if (y.eval.stopped_after) {
            ++stopped;
            EXPECT_FALSE(y.accepted) << i;
            EXPECT_LT(y.eval.stopped_after, 24) << i;
            // The best case bounds the exhaustive figures: no better KLD, no more agreement.
            EXPECT_LE(y.eval.metrics.kld, x.eval.metrics.kld) << i;
            EXPECT_GE(y.eval.metrics.accuracy, x.eval.metrics.accuracy) << i;
            EXPECT_NE(y.note.find(fmt::format("stopped early after {} of 24 samples", y.eval.stopped_after)),
                      std::string::npos)
                << y.note;
        } else {
            EXPECT_EQ(x.eval.metrics.accuracy, y.eval.metrics.accuracy) << i;
            EXPECT_EQ(x.eval.metrics.kld, y.eval.metrics.kld) << i;
        }
    }
    EXPECT_GE(stopped, 2);  // the budget rejects several candidates on the first disagreements
    EXPECT_EQ(a.final_config.to_json(), b.final_config.to_json());
    ASSERT_FALSE(exhaustive_->tensors.empty());
    EXPECT_EQ(exhaustive_->tensors, early_->tensors);  // the package bytes
}

TEST_F(ValidationCost, CandidatesThatKeepTheImagePathReuseItsFeatures) {
    const auto& steps = exhaustive_->timings.candidates;
    ASSERT_FALSE(steps.empty());
    EXPECT_EQ(exhaustive_->timings.baseline.cached_features, 0);
    for (const auto& c : steps) {
        const bool image = c.label.starts_with("vision_encoder:") || c.label.starts_with("fusion_layers:");
        // Text-side candidates reuse the current model's features: the baseline's, or those of the image-path
        // candidate that passed (it computed them all). Each image-path candidate here is a new image path.
        if (!image) EXPECT_EQ(c.eval.cached_features, c.eval.samples) << c.label;
        if (image) EXPECT_EQ(c.eval.cached_features, 0) << c.label;
    }
}

TEST_F(ValidationCost, SpilledFeaturesGiveTheSameReport) {
    const QuantizeRun spilled = quantize(*dir_ / "spilled.vlmq", false, 0);
    EXPECT_EQ(spilled.outcome.progressive->to_json(), exhaustive_->outcome.progressive->to_json());
    EXPECT_EQ(spilled.tensors, exhaustive_->tensors);
}

}  // namespace
