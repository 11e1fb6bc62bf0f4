#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "io/checkpoint.h"
#include "arch/fastvlm_arch.h"
#include "core/shape.h"
#include "quant/plan.h"
#include "quant/quant_config.h"
#include "synth/fastvlm_spec.h"
#include "test_util.h"

using namespace vlmq;
using quant::QuantConfig;

namespace {

std::vector<quant::TensorMeta> read_tsv(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::vector<quant::TensorMeta> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ss(line);
        std::string name, shape, dtype;
        std::getline(ss, name, '\t');
        std::getline(ss, shape, '\t');
        std::getline(ss, dtype, '\t');
        quant::TensorMeta t{name, *parse_dtype(dtype), {}};
        std::string dims = shape.substr(1, shape.size() - 2);
        std::istringstream ds(dims);
        std::string d;
        while (std::getline(ds, d, ',')) t.shape.push_back(std::stoll(d));
        out.push_back(t);
    }
    return out;
}

QuantConfig parse(const std::string& text) {
    return QuantConfig::parse(json::parse(text), "cfg.json", arch::fastvlm_arch_table());
}

std::string error_of(const std::string& text) {
    try {
        parse(text);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

const char* kAdr = R"({"vision_encoder":"int4","text_encoder":"int8","fusion_layers":"fp16","decoder":"int4",
                      "calibration_samples":1000})";

}  // namespace

TEST(SynthSpec, HalfBillionPresetMatchesTheReleasedTensorList) {
    const auto expected = read_tsv(test::data_dir() / "fastvlm-0.5b-tensors.tsv");
    const auto got = synth::fastvlm_tensors(synth::FastVlmSpec::preset_named("fastvlm-0.5b"));
    ASSERT_EQ(expected.size(), 924u);
    ASSERT_EQ(got.size(), expected.size());
    std::map<std::string, std::pair<DType, std::vector<int64_t>>> e;
    for (const auto& t : expected) e[t.name] = {t.dtype, t.shape};
    int64_t params = 0;
    for (const auto& t : got) {
        ASSERT_TRUE(e.count(t.name)) << t.name;
        EXPECT_EQ(e[t.name].first, t.dtype) << t.name;
        EXPECT_EQ(e[t.name].second, t.shape) << t.name;
        if (t.dtype == DType::BF16) params += vlmq::numel(t.shape);
    }
    // 758,798,048 parameters (fastvlm-architecture.md §4) + 35,712 BatchNorm running statistics.
    EXPECT_EQ(params, 758'798'048 + 35'712);
}

TEST(SynthSpec, TinyPresetMatchesTheTinyAsset) {
    const io::Checkpoint ckpt(test::tiny_model_dir());
    const auto got = synth::fastvlm_tensors(synth::FastVlmSpec::preset_named("tiny"));
    ASSERT_EQ(got.size(), ckpt.names().size());
    for (const auto& t : got) {
        const io::TensorRef* r = ckpt.find(t.name);
        ASSERT_NE(r, nullptr) << t.name;
        EXPECT_EQ(r->info->shape, t.shape) << t.name;
        EXPECT_EQ(r->info->dtype, t.dtype) << t.name;
    }
}

TEST(Plan, AdrConfigOnHalfBillionLayout) {
    const auto tensors = read_tsv(test::data_dir() / "fastvlm-0.5b-tensors.tsv");
    const quant::Plan plan = quant::make_plan(tensors, arch::fastvlm_arch_table(), parse(kAdr));
    std::map<std::string, int> count;
    std::map<std::string, int64_t> bytes;
    for (const auto& e : plan.entries) {
        count[e.component] += 1;
        bytes[e.component] += e.stored_bytes();
    }
    EXPECT_EQ(count["vision_encoder"], 629);
    EXPECT_EQ(count["text_encoder"], 1);
    EXPECT_EQ(count["fusion_layers"], 4);
    EXPECT_EQ(count["decoder"], 290);
    // Independently computed from the tensor list: int4 g32 sym (4.5 bpw; rows not divisible by 32 -> one group per
    // row), int8 per-channel embeddings, fp16 projector, norms/biases/BN/layer scales kept in bf16/i64.
    EXPECT_EQ(bytes["vision_encoder"], 70'720'192);
    EXPECT_EQ(bytes["text_encoder"], 136'438'528);
    EXPECT_EQ(bytes["fusion_layers"], 7'114'240);
    EXPECT_EQ(bytes["decoder"], 277'996'288);
    int64_t total = 0;
    for (const auto& [c, b] : bytes) total += b;
    EXPECT_EQ(total, 492'269'248);
    EXPECT_LT(total, 500'000'000);
}

TEST(Plan, RolesFallbacksOverridesAndReassignment) {
    const auto tensors = read_tsv(test::data_dir() / "fastvlm-0.5b-tensors.tsv");
    const QuantConfig c = parse(R"({"vision_encoder":"int4","text_encoder":"int8","fusion_layers":"fp16",
        "decoder":{"bits":4,"group_size":128,"symmetric":false,"algorithm":"gptq"},
        "overrides":{"down_proj":"int8"}, "assign":{"^lm_head\\.weight$":"text_encoder"}})");
    const quant::Plan plan = quant::make_plan(tensors, arch::fastvlm_arch_table(), c);
    std::map<std::string, const quant::PlanEntry*> by;
    for (const auto& e : plan.entries) by[e.tensor.name] = &e;
    const std::string P = "model.vision_tower.vision_tower.model.";
    const auto* dw = by.at(P + "network.0.0.token_mixer.reparam_conv.weight");
    EXPECT_FALSE(dw->keep);
    EXPECT_EQ(dw->precision.format.name(), "int4_row_sym");
    EXPECT_EQ(dw->note, "group 32 -> row (cols 9)");
    EXPECT_TRUE(by.at(P + "network.0.0.layer_scale")->keep);
    EXPECT_TRUE(by.at(P + "network.0.0.convffn.conv.bn.running_var")->keep);
    EXPECT_TRUE(by.at(P + "network.0.0.convffn.conv.bn.num_batches_tracked")->keep);
    EXPECT_TRUE(by.at("model.layers.0.self_attn.q_proj.bias")->keep);
    EXPECT_TRUE(by.at("model.norm.weight")->keep);
    const auto* q = by.at("model.layers.3.self_attn.q_proj.weight");
    EXPECT_EQ(q->precision.format.name(), "int4_g128_aff");  // 896 = 7 * 128
    EXPECT_EQ(q->precision.algorithm, rounding::Algorithm::Gptq);
    EXPECT_EQ(q->unit, "model.layers.3");
    EXPECT_EQ(by.at("model.layers.3.mlp.down_proj.weight")->precision.format.name(), "int8_row_sym");
    EXPECT_EQ(by.at("lm_head.weight")->component, "text_encoder");
    EXPECT_EQ(by.at("lm_head.weight")->precision.format.name(), "int8_row_sym");
    EXPECT_EQ(by.at("model.mm_projector.0.weight")->precision.format.name(), "f16");
}

TEST(Plan, DataAwareRoundingFallsBackToRtnExplicitly) {
    const auto tensors = read_tsv(test::data_dir() / "fastvlm-0.5b-tensors.tsv");
    quant::Plan plan = quant::make_plan(
        tensors, arch::fastvlm_arch_table(),
        parse(R"({"vision_encoder":{"bits":3,"algorithm":"gptq"},"decoder":{"bits":3,"algorithm":"weighted"}})"));
    const std::string P = "model.vision_tower.vision_tower.model.";
    calib::CalibrationStats stats;
    const std::vector<float> x(size_t(2 * 96), 0.5f);
    stats.observe(P + "network.0.0.convffn.fc1.weight", x.data(), 2, 96, 96);
    quant::note_statistics_fallbacks(plan, stats);
    std::map<std::string, const quant::PlanEntry*> by;
    for (const auto& e : plan.entries) by[e.tensor.name] = &e;
    // The arch table's RTN-only matrices say so in the plan itself.
    const auto* proj = by.at(P + "network.1.proj.1.reparam_conv.weight");
    EXPECT_EQ(proj->precision.algorithm, rounding::Algorithm::Rtn);
    EXPECT_EQ(proj->note, "gptq -> rtn: input is the RTN-rounded grouped stride-2 7x7 conv's output, where data-aware "
                          "rounding was measured to raise the KLD");
    // Kernels without statistics step down, noted per tensor; a matrix with statistics keeps its algorithm.
    EXPECT_EQ(by.at(P + "network.0.0.token_mixer.reparam_conv.weight")->note,
              "group 32 -> row (cols 9); gptq -> rtn: no input statistics (3x3 conv kernel)");
    EXPECT_EQ(by.at(P + "network.0.0.convffn.fc1.weight")->note, "");
    EXPECT_EQ(by.at(P + "network.0.0.convffn.fc1.weight")->precision.algorithm, rounding::Algorithm::Gptq);
    EXPECT_EQ(by.at("model.layers.0.mlp.up_proj.weight")->note, "weighted -> rtn: no input statistics (not observed in calibration)");
}

TEST(Plan, UnclaimedTensorIsAnError) {
    std::vector<quant::TensorMeta> t{{"model.something_new.weight", DType::BF16, {4, 4}}};
    try {
        quant::make_plan(t, arch::fastvlm_arch_table(), parse(kAdr));
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("model.something_new.weight"), std::string::npos);
    }
}

// Found by fuzz_quant_config and fuzz_model_config: read_json_file let nlohmann's out_of_range (a number beyond
// double's range) escape as an internal error; it is invalid JSON, reported with the file name.
TEST(QuantConfig, NumberOutOfRangeInTheFileIsInvalidJson) {
    test::TempDir tmp;
    const auto load_error = [&](const std::string& text) {
        std::ofstream(tmp / "q.json") << text;
        return test::error_of([&] { QuantConfig::load(tmp / "q.json", arch::fastvlm_arch_table()); });
    };
    const std::string f = (tmp / "q.json").string();
    EXPECT_EQ(load_error(R"({"calibration_samples": 1e400})"),
              f + ": field 'calibration_samples': number 1e400 is out of range (beyond +-1.8e308)");
    EXPECT_EQ(load_error(R"({"validation": {"min_retention": -1E+309}})"),
              f + ": field 'min_retention': number -1E+309 is out of range (beyond +-1.8e308)");
    EXPECT_EQ(load_error(R"({"decoder": {"bits": 4, "group_size": 32e999}})"),
              f + ": field 'group_size': number 32e999 is out of range (beyond +-1.8e308)");
}

TEST(QuantConfig, ParsesAdrFileAndRejectsBadInput) {
    const QuantConfig c = QuantConfig::load(std::filesystem::path(VLMQ_TEST_DATA) / ".." / ".." / "configs" / "adr-001.json",
                                          arch::fastvlm_arch_table());
    EXPECT_EQ(c.components.at("vision_encoder").format.name(), "int4_g32_sym");
    EXPECT_EQ(c.components.at("text_encoder").format.name(), "int8_row_sym");
    EXPECT_EQ(c.components.at("fusion_layers").format.name(), "f16");
    EXPECT_EQ(c.components.at("decoder").format.name(), "int4_g32_sym");
    EXPECT_EQ(c.calibration_samples, 1000);
    EXPECT_EQ(c.validation.min_retention, 0.95);

    EXPECT_NE(error_of(R"({"vision_encoder":"int4","colour":"red"})").find("'colour': unknown key"), std::string::npos);
    EXPECT_NE(error_of(R"({"decoder":"int9"})").find("unknown precision 'int9'"), std::string::npos);
    EXPECT_NE(error_of(R"({"decoder":{"bits":4,"group_size":48}})").find("group_size"), std::string::npos);
    EXPECT_NE(error_of(R"({"decoder":{"bits":4,"algorithm":"magic"}})").find("algorithm"), std::string::npos);
    EXPECT_NE(error_of(R"({"decoder":{"bits":4,"speed":1}})").find("unknown key 'speed'"), std::string::npos);
    EXPECT_NE(error_of(R"({"overrides":{"([":"int8"}})").find("invalid regular expression"), std::string::npos);
    EXPECT_NE(error_of(R"({"calibration_samples":-3})").find("calibration_samples"), std::string::npos);
    EXPECT_NE(error_of(R"({"validation":{"min_retention":1.5}})").find("min_retention"), std::string::npos);
    EXPECT_NE(error_of(R"([1,2])").find("must be a JSON object"), std::string::npos);
    // Component names come from the architecture table, not from the parser.
    EXPECT_NE(error_of(R"({"audio_encoder":"int4"})").find("component of the 'fastvlm' architecture"), std::string::npos);
    EXPECT_NE(error_of(R"({"components":{"audio_encoder":"int4"}})").find("no component 'audio_encoder'"),
              std::string::npos);
    EXPECT_NE(error_of(R"({"assign":{"x":"audio_encoder"}})").find("unknown component 'audio_encoder'"),
              std::string::npos);
    arch::ArchTable other = arch::fastvlm_arch_table();
    other.name = "other";
    other.components = {"audio_encoder", "decoder"};
    EXPECT_EQ(QuantConfig::parse(json::parse(R"({"audio_encoder":"int4"})"), "cfg", other)
                  .components.at("audio_encoder").format.name(), "int4_g32_sym");
}
