// AWQ as part of the plan: scales per group searched at planning time, applied per tensor when quantized.
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "core/shape.h"
#include "arch/fastvlm_arch.h"
#include "calib/calib_stats.h"
#include "io/checkpoint.h"
#include "qformat/dequant.h"
#include "quant/awq_transform.h"
#include "quant/quant_config.h"
#include "test_util.h"

using namespace vlmq;
using quant::AwqScaling;

namespace {

// Random activations for every decoder linear of the tiny model, so every scale group can be searched.
std::unique_ptr<calib::CalibrationStats> random_stats(const io::Checkpoint& ckpt) {
    calib::CollectOptions diagonal_only;  // no X^T X: the search is fast
    diagonal_only.hessian_max_k = 0;
    auto stats = std::make_unique<calib::CalibrationStats>(diagonal_only);
    std::mt19937 rng(7);
    std::lognormal_distribution<float> mag(0.0f, 1.0f);
    for (const auto& name : ckpt.names()) {
        const io::TensorInfo& t = *ckpt.at(name).info;
        if (name.rfind("model.layers.", 0) != 0 || t.shape.size() != 2) continue;
        const int64_t M = 16, K = t.shape[1];
        std::vector<float> x(size_t(M * K));
        for (auto& v : x) v = mag(rng) * (rng() % 2 ? 1.0f : -1.0f);
        stats->observe(name, x.data(), M, K, K);
    }
    stats->samples = 1;
    return stats;
}

std::vector<quant::TensorMeta> tensors_of(const io::Checkpoint& ckpt) {
    std::vector<quant::TensorMeta> out;
    for (const auto& name : ckpt.names()) out.push_back({name, ckpt.at(name).info->dtype, ckpt.at(name).info->shape});
    return out;
}

struct AwqFixture : ::testing::Test {
    io::Checkpoint ckpt{test::tiny_model_dir()};
    arch::ArchTable arch = arch::fastvlm_arch_table();
    quant::QuantConfig config = quant::QuantConfig::parse(
        json::parse(R"({"decoder": {"bits": 3, "group_size": 32, "algorithm": "awq"}})"), "test", arch);
    std::unique_ptr<calib::CalibrationStats> stats = random_stats(ckpt);
    Compute compute;

    quant::Plan plan() const {
        quant::Plan p = quant::make_plan(tensors_of(ckpt), arch, config);
        quant::plan_awq(p, ckpt, arch, *stats, compute);
        return p;
    }
    std::vector<float> source(const std::string& name) const {
        const io::TensorRef& ref = ckpt.at(name);
        std::vector<float> w(size_t(ref.info->numel()));
        qformat::convert_to_f32(compute, ref.bytes().data(), ref.info->dtype, ref.info->numel(), w.data());
        return w;
    }
    std::vector<float> scaled(const quant::Plan& p, const std::string& name) const {
        const io::TensorRef& ref = ckpt.at(name);
        const auto [rows, cols] = vlmq::matrix_dims(ref.info->shape);
        return quant::awq_scaled_tensor(compute, p.awq, *p.awq.scalings_of(name), ref.bytes(), ref.info->dtype, rows,
                                        cols);
    }
};

const quant::AwqGroup& group(const quant::Plan& p, const std::string& key) {
    for (const auto& g : p.awq.groups)
        if (g.key == key) return g;
    throw std::runtime_error("no group " + key);
}

}  // namespace

TEST_F(AwqFixture, GroupsWithALinearProducerAreSearchedFirst) {
    const quant::Plan p = plan();
    ASSERT_FALSE(p.awq.groups.empty());
    bool vector_seen = false;
    for (const auto& g : p.awq.groups) {
        const bool rows = g.producers.front().kind == quant::AwqProducer::Kind::Rows;
        EXPECT_FALSE(rows && vector_seen) << g.key;
        vector_seen |= !rows;
        EXPECT_TRUE(g.searched) << g.key;
        EXPECT_EQ(g.scales.empty(), g.alpha == 0.0) << g.key;
    }
}

TEST_F(AwqFixture, ALinearScaledAsProducerAndConsumerGetsRowsDividedThenColumnsMultiplied) {
    const quant::Plan p = plan();
    const std::string up = "model.layers.0.mlp.up_proj.weight";
    const auto& down = group(p, "model.layers.0.down_input");
    const auto& mlp = group(p, "model.layers.0.mlp_input");
    std::vector<AwqScaling::Kind> expected;
    if (!down.scales.empty()) expected.push_back(AwqScaling::Kind::DivideLastRows);
    if (!mlp.scales.empty()) expected.push_back(AwqScaling::Kind::MultiplyColumns);
    std::vector<AwqScaling::Kind> kinds;
    for (const auto& op : *p.awq.scalings_of(up)) kinds.push_back(op.kind);
    EXPECT_EQ(kinds, expected);

    const std::vector<float> w = source(up), s = scaled(p, up);
    const int64_t cols = ckpt.at(up).info->shape[1], rows = int64_t(w.size()) / cols;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            float v = w[size_t(r * cols + c)];
            if (!down.scales.empty()) v /= down.scales[size_t(r)];
            if (!mlp.scales.empty()) v *= mlp.scales[size_t(c)];
            ASSERT_EQ(s[size_t(r * cols + c)], v) << r << "," << c;
        }
    EXPECT_EQ(p.awq.column_scales(up), mlp.scales.empty() ? nullptr : mlp.scales.data());
}

TEST_F(AwqFixture, KeptNormGainsDividedByScalesAreRetypedToF32) {
    const quant::Plan p = plan();
    const auto& attn = group(p, "model.layers.0.attn_input");
    ASSERT_FALSE(attn.scales.empty()) << "random activations should make scaling pay off";
    const std::string norm = "model.layers.0.input_layernorm.weight";
    EXPECT_TRUE(attn.producers.front().retyped);
    for (const auto& e : p.entries)
        if (e.tensor.name == norm) {
            EXPECT_FALSE(e.keep);
            EXPECT_TRUE(e.awq_producer);
            EXPECT_EQ(e.precision.format.encoding, qformat::Encoding::F32);
        }
    const std::vector<float> w = source(norm), s = scaled(p, norm);
    for (size_t j = 0; j < w.size(); ++j) EXPECT_EQ(s[j], w[j] / attn.scales[j]);
}

TEST_F(AwqFixture, WithoutStatisticsForAGroupItsConsumersStayUnscaled) {
    stats = std::make_unique<calib::CalibrationStats>();
    const quant::Plan p = plan();
    for (const auto& g : p.awq.groups) EXPECT_FALSE(g.searched) << g.key;
    EXPECT_TRUE(p.awq.tensors.empty());
    EXPECT_FALSE(p.awq.unscaled.empty());
}
