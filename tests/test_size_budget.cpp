#include <gtest/gtest.h>

#include "io/checkpoint.h"
#include "arch/arch_table.h"
#include "pipeline/size_budget.h"
#include "quant/plan.h"
#include "quant/quantizer.h"
#include "arch/fastvlm_arch.h"
#include "test_util.h"

using namespace vlmq;

namespace {

int64_t plan_bytes(const io::Checkpoint& ckpt, const quant::QuantConfig& c) {
    const auto arch = arch::arch_table_for_config(ckpt.config(), "config.json");
    int64_t b = 0;
    for (const auto& e : quant::make_plan(quant::checkpoint_tensors(ckpt), arch, c).entries) b += e.stored_bytes();
    return b;
}

}  // namespace

TEST(SizeBudget, LowersUnitsUntilThePlanFits) {
    const io::Checkpoint ckpt(test::tiny_model_dir());
    const auto cfg = quant::QuantConfig::parse(
        json::parse(R"({"vision_encoder":"int8","text_encoder":"int8","fusion_layers":"fp16","decoder":"int8"})"), "c", arch::fastvlm_arch_table());
    Compute c;
    const int64_t before = plan_bytes(ckpt, cfg);
    const int64_t target = before * 8 / 10;
    const auto r = pipeline::fit_size_budget(ckpt, cfg, target, nullptr, c);
    EXPECT_EQ(r.bytes_before, before);
    EXPECT_TRUE(r.fits);
    EXPECT_LE(r.bytes_after, target);
    EXPECT_EQ(plan_bytes(ckpt, r.config), r.bytes_after);
    EXPECT_FALSE(r.moves.empty());
    EXPECT_EQ(r.config.overrides.size(), r.moves.size());
    // Already within budget: nothing moves.
    const auto same = pipeline::fit_size_budget(ckpt, cfg, before, nullptr, c);
    EXPECT_TRUE(same.moves.empty());
    EXPECT_EQ(same.bytes_after, before);
}

TEST(SizeBudget, ReportsWhenTheBudgetCannotBeMet) {
    const io::Checkpoint ckpt(test::tiny_model_dir());
    const auto cfg = quant::QuantConfig::parse(json::parse(R"({"decoder":"int4"})"), "c", arch::fastvlm_arch_table());
    Compute c;
    const auto r = pipeline::fit_size_budget(ckpt, cfg, 1000, nullptr, c);
    EXPECT_FALSE(r.fits);
    EXPECT_GT(r.bytes_after, 1000);
    EXPECT_LT(r.bytes_after, r.bytes_before);
}
