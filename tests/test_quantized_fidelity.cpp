// The engine on quantized packages: int8 and int4 packages of the tiny model against the unquantized model —
// KL divergence and top-1 agreement of the next-token distributions at every position of the golden prompts,
// and answer agreement on the whole test split.
#include <gtest/gtest.h>

#include <cstdio>

#include "eval/fidelity.h"
#include "eval/prepared.h"
#include "eval/vlm_eval.h"
#include "io/checkpoint.h"
#include "model/fastvlm.h"
#include "quant/quantizer.h"
#include "arch/fastvlm_arch.h"
#include "test_util.h"

using namespace vlmq;
namespace fs = std::filesystem;

namespace {

struct Fidelity {
    double kld = 0, top1 = 0, agreement = 0;
};

// The unquantized model's logits on the golden prompts and its greedy answers on the test split, computed once
// and compared with each package.
struct Reference {
    ThreadPool pool{2};
    Compute c{&pool};
    model::FastVLM model{test::tiny_model_dir()};
    std::vector<std::vector<float>> pixels, logits;
    std::vector<std::vector<int64_t>> ids;
    eval::VqaDataset data;  // the prepared samples point into it
    std::vector<eval::PreparedSample> prepared;
    eval::ModelRun run;

    Reference() {
        for (int i = 0; i < 3; ++i) {
            const fs::path g = test::tiny_golden_dir() / ("sample_" + std::to_string(i) + ".safetensors");
            pixels.push_back(test::read_f32(g, "pixel_values"));
            ids.push_back(test::read_i64(g, "input_ids"));
            logits.push_back(model.forward(c, pixels.back().data(), ids.back(), nullptr));
        }
        eval::DatasetSpec spec;
        spec.path = test::tiny_data_dir() / "test";
        data = eval::load_dataset(spec);
        prepared = eval::prepare_samples(model, data, c, false);
        eval::EvalOptions o;
        o.progress = false;
        o.record_logits = true;
        run = eval::run_model(model, prepared, nullptr, c, o);
    }

    Fidelity measure(const std::string& config_text) const {
        test::TempDir dir;
        quant::QuantizeOptions qo;
        qo.progress = false;
        quant::quantize_checkpoint(io::Checkpoint(test::tiny_model_dir()),
                                   quant::QuantConfig::parse(json::parse(config_text), "cfg", arch::fastvlm_arch_table()), dir / "p.vlmq", c, qo);
        const model::FastVLM q(dir / "p.vlmq");
        eval::FidelityAccumulator positions;
        for (size_t i = 0; i < ids.size(); ++i)
            positions.add_positions(logits[i], q.forward(c, pixels[i].data(), ids[i], nullptr), model.llm().vocab());
        eval::EvalOptions o;
        o.progress = false;
        const auto m = eval::run_model(q, prepared, &run.record, c, o).metrics;
        return {positions.mean_kld(), positions.top1_agreement(), m.agreement};
    }
};

}  // namespace

TEST(QuantizedFidelity, Int8AndInt4PackagesStayCloseToTheUnquantizedModel) {
    const Reference ref;
    const Fidelity int8 =
        ref.measure(R"({"vision_encoder":"int8","text_encoder":"int8","fusion_layers":"int8","decoder":"int8"})");
    const Fidelity int4 =
        ref.measure(R"({"vision_encoder":"int4","text_encoder":"int4","fusion_layers":"int4","decoder":"int4"})");
    std::printf("int8: KLD %.6f top-1 %.4f answer agreement %.4f\n", int8.kld, int8.top1, int8.agreement);
    std::printf("int4: KLD %.6f top-1 %.4f answer agreement %.4f\n", int4.kld, int4.top1, int4.agreement);
    EXPECT_LT(int8.kld, 1e-4);
    EXPECT_GE(int8.top1, 0.99);
    EXPECT_GE(int8.agreement, 0.98);
    EXPECT_GT(int4.kld, int8.kld);
    // Measured: int4 KLD 0.0157, top-1 0.797, agreement 0.657 — the tiny model is barely trained, so its
    // next-token distributions are flat and near-ties flip easily; a broken int4 path lands far outside.
    EXPECT_LT(int4.kld, 0.03);
    EXPECT_GE(int4.top1, 0.7);
    EXPECT_GE(int4.agreement, 0.55);
}
