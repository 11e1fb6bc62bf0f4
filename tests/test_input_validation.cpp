// Inputs are validated before any work, the same way for every command (issue 11, item 4). One group per class:
// the model's config.json (ModelConfig*), its tensors against the architecture (ModelTensors*), format names
// (FormatName*), numeric options and their config-file twins (Options*). Library cases assert the vlmq::Error's
// message, CLI cases exit code 1 with one stderr line naming the field, tensor or option. Models are edited
// copies of tests/data/tiny-fastvlm-a/model in a temp dir.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "arch/fastvlm_arch.h"
#include "core/error.h"
#include "core/json_util.h"
#include "core/fs_util.h"
#include "model/fastvlm_tensors.h"
#include "package/integrity.h"
#include "package/weights.h"
#include "qformat/format.h"
#include "quant/quant_config.h"
#include "test_util.h"

namespace vlmq {
namespace {

namespace fs = std::filesystem;
using test::expect_one_line_error;

json tiny_config() { return read_json_file(test::tiny_model_dir() / "config.json"); }
std::string image_path() { return (test::tiny_data_dir() / "test" / "images" / "test_00001.png").string(); }
std::string adr_config() { return (test::data_dir().parent_path().parent_path() / "configs" / "adr-001.json").string(); }

void write_json(const fs::path& p, const json& j) { std::ofstream(p) << j.dump(2); }

// ---- model config.json ------------------------------------------------------------------------------------------

struct ConfigCase {
    const char* needle;  // the field the message must name
    std::function<void(json&)> edit;
};

// The issue's example (relu) first, then the members constructed for the class.
const std::vector<ConfigCase>& bad_configs() {
    static const std::vector<ConfigCase> cases = {
        {"'hidden_act'", [](json& c) { c["hidden_act"] = "relu"; }},
        {"'hidden_act'", [](json& c) { c["hidden_act"] = "gelu_pytorch_tanh"; }},
        {"'num_attention_heads'", [](json& c) { c["num_attention_heads"] = 3; }},  // 128 % 3 != 0
        {"'num_key_value_heads'", [](json& c) { c["num_key_value_heads"] = 3; }},  // does not divide 4 heads
        {"'head_dim'", [](json& c) { c["head_dim"] = 64; }},                       // hidden / heads is 32
        {"'intermediate_size'", [](json& c) { c["intermediate_size"] = 0; }},
        {"'vocab_size'", [](json& c) { c["vocab_size"] = 0; }},
        {"'num_hidden_layers'", [](json& c) { c["num_hidden_layers"] = -2; }},
        {"'hidden_size'", [](json& c) { c["hidden_size"] = 0; }},
        {"'rope_theta'", [](json& c) { c["rope_theta"] = -10000.0; }},
        {"'rms_norm_eps'", [](json& c) { c["rms_norm_eps"] = 0.0; }},
        {"'use_sliding_window'", [](json& c) { c["use_sliding_window"] = true; }},
        {"'rope_scaling'", [](json& c) { c["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}}; }},
        {"'eos_token_id'", [](json& c) { c["eos_token_id"] = 451; }},
        {"'mm_hidden_size'", [](json& c) { c["mm_hidden_size"] = 256; }},  // the tower gives 512
        {"'mm_projector_type'", [](json& c) { c["mm_projector_type"] = "linear"; }},
        {"image_size", [](json& c) { c["vision_tower_config"]["image_size"] = 200; }},   // not a multiple of 64
        {"image_size", [](json& c) { c["vision_tower_config"]["image_size"] = 8192; }},  // above 4096
        {"image_size", [](json& c) { c["vision_tower_config"]["image_size"] = -256; }},
        {"'image_aspect_ratio'", [](json& c) { c["image_aspect_ratio"] = "anyres"; }},
        {"'mm_patch_merge_type'", [](json& c) { c["mm_patch_merge_type"] = "spatial_unpad"; }},
        {"'mm_use_im_start_end'", [](json& c) { c["mm_use_im_start_end"] = true; }},
    };
    return cases;
}

TEST(ModelConfig, TinyConfigIsReadWhole) {
    const model::FastVlmConfig c = model::FastVlmConfig::from_json(tiny_config(), "cfg.json");
    EXPECT_EQ(c.llm.head_dim, 32);
    EXPECT_EQ(c.llm.kv_dim(), 64);
    EXPECT_EQ(c.projector.in_dim, 512);
    EXPECT_EQ(c.projector.out_dim, 128);
    EXPECT_EQ(c.vision.out_channels(), 512);
    EXPECT_EQ(c.vision.grid(), 4);
    // What the engine computes, spelled out, is accepted too.
    json explicit_defaults = tiny_config();
    explicit_defaults["head_dim"] = 32;
    explicit_defaults["rope_scaling"] = nullptr;
    EXPECT_EQ(model::FastVlmConfig::from_json(explicit_defaults, "cfg.json").llm.head_dim, 32);
}

TEST(ModelConfig, EachBadFieldIsNamed) {
    for (const ConfigCase& k : bad_configs()) {
        json c = tiny_config();
        k.edit(c);
        const std::string err = test::error_of([&] { model::FastVlmConfig::from_json(c, "cfg.json"); });
        EXPECT_NE(err.find(k.needle), std::string::npos) << k.needle << ": " << err;
        EXPECT_EQ(err.rfind("cfg.json: ", 0), 0u) << err;
        EXPECT_EQ(err.find('\n'), std::string::npos) << err;
    }
}

// Found by fuzz_model_config: a config that is a JSON string escaped as an internal error.
TEST(ModelConfig, ConfigMustBeAnObject) {
    for (const char* text : {R"("assign")", "[1, 2]", "3", "null"}) {
        try {
            arch::arch_table_for_config(json::parse(text), "c.json");
            ADD_FAILURE() << text;
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()).rfind("c.json: expected a JSON object, got ", 0), 0u) << e.what();
        }
    }
}

TEST(ModelConfig, ReluIsNotRunAsSilu) {
    json c = tiny_config();
    c["hidden_act"] = "relu";
    EXPECT_EQ(test::error_of([&] { model::FastVlmConfig::from_json(c, "cfg.json"); }),
              "cfg.json: field 'hidden_act' is \"relu\"; only \"silu\" is supported (the decoder's MLP is SwiGLU)");
}

// Every command that opens a model rejects a bad config before doing anything, with the same message.
TEST(ModelConfigCli, EveryCommandRejectsTheSameConfig) {
    test::TempDir tmp;
    const std::vector<std::pair<std::string, std::function<void(json&)>>> configs = {
        {"'hidden_act'", [](json& c) { c["hidden_act"] = "relu"; }},
        {"image_size", [](json& c) { c["vision_tower_config"]["image_size"] = 200; }},
        {"'num_key_value_heads'", [](json& c) { c["num_key_value_heads"] = 3; }},
    };
    for (size_t i = 0; i < configs.size(); ++i) {
        const std::string model = (tmp / ("model" + std::to_string(i))).string();
        test::copy_tiny_model(model, {}, configs[i].second);
        const std::string& needle = configs[i].first;
        const std::string data = (test::tiny_data_dir() / "calib").string();
        const std::string out = (tmp / "out").string();
        const std::vector<std::vector<std::string>> commands = {
            {"run", "--model", model, "--image", image_path(), "--prompt", "hi"},
            {"forward", "--model", model, "--image", image_path(), "--prompt", "hi", "--dump", out},
            {"eval", "--model", model, "--data", data, "--samples", "2"},
            {"calibrate", "--model", model, "--data", data, "--samples", "2", "--out", out},
            {"quantize", "--model", model, "--config", adr_config(), "--out", out},
            {"quantize", "--model", model, "--config", adr_config(), "--dry-run"},
            {"export", "coreml", "--model", model, "--out", out + ".mlpackage"},
            {"export", "mlx", "--model", model, "--out", out},
        };
        for (const auto& args : commands) {
            SCOPED_TRACE(args[0] + " " + args[1] + " / " + needle);
            expect_one_line_error(test::run_vlmq(args), needle);
            EXPECT_FALSE(fs::exists(out));
            EXPECT_FALSE(fs::exists(out + ".mlpackage"));
        }
    }
}

// A package carries the config of its checkpoint: run, dequantize and export check it the same way.
TEST(ModelConfigCli, PackageWithBadConfigIsRejected) {
    test::TempDir tmp;
    const std::string pkg = (tmp / "p.vlmq").string();
    const auto q = test::run_vlmq({"quantize", "--model", test::tiny_model_dir().string(), "--config", adr_config(),
                                   "--out", pkg});
    ASSERT_EQ(q.exit_code, 0) << q.err;
    json c = read_json_file(fs::path(pkg) / "config.json");
    c["hidden_act"] = "relu";
    write_json(fs::path(pkg) / "config.json", c);
    // The manifest records the new config's size and hash, so the package is intact and only its config is bad.
    const std::string text = read_text_file(fs::path(pkg) / "config.json");
    ordered_json m = ordered_json::parse(read_text_file(fs::path(pkg) / "manifest.json"));
    for (auto& f : m["side_files"])
        if (f["name"] == "config.json") {
            f["bytes"] = text.size();
            f["hash"] = package::hash_bytes(std::as_bytes(std::span(text)));
        }
    write_file_atomic(fs::path(pkg) / "manifest.json", m.dump(2));
    expect_one_line_error(test::run_vlmq({"run", "--model", pkg, "--image", image_path(), "--prompt", "hi"}),
                          "'hidden_act'");
    expect_one_line_error(test::run_vlmq({"dequantize", pkg, "--out", (tmp / "d").string()}), "'hidden_act'");
    expect_one_line_error(test::run_vlmq({"export", "mlx", "--model", pkg, "--out", (tmp / "m").string()}),
                          "'hidden_act'");
    EXPECT_FALSE(fs::exists(tmp / "d"));
    EXPECT_FALSE(fs::exists(tmp / "m"));
}

// ---- tensors against the architecture ---------------------------------------------------------------------------

const std::string kDown = "model.layers.0.mlp.down_proj.weight";  // [128, 352]
const std::string kKBias = "model.layers.1.self_attn.k_proj.bias";  // [64]
const std::string kNorm = "model.norm.weight";                     // [128]
const std::string kQkv = "model.vision_tower.vision_tower.model.network.7.0.token_mixer.qkv.weight";  // [384, 128]

test::TensorEdit reshape(const std::string& name, std::vector<int64_t> shape) {
    return [=](io::OwnedTensor& t) {
        if (t.decl.name == name) t.decl.shape = shape;
        return true;
    };
}
test::TensorEdit drop(const std::string& name) {
    return [=](io::OwnedTensor& t) { return t.decl.name != name; };
}
test::TensorEdit as_int32(const std::string& name) {
    return [=](io::OwnedTensor& t) {
        if (t.decl.name != name) return true;
        int64_t n = 1;
        for (int64_t d : t.decl.shape) n *= d;
        t.decl.dtype = DType::I32;
        t.bytes.assign(size_t(n) * 4, std::byte{0});
        return true;
    };
}

struct TensorCase {
    std::string label;
    test::TensorEdit edit;
    std::string message;  // after "<dir>: "
};

// The issue's example (a wrong shape that quantize must reject) first, then more members of the class.
std::vector<TensorCase> bad_tensors() {
    return {
        {"transposed", reshape(kDown, {352, 128}),
         "tensor '" + kDown + "' has shape [352,128], expected [128,352]"},
        {"vision", reshape(kQkv, {128, 384}), "tensor '" + kQkv + "' has shape [128,384], expected [384,128]"},
        {"flattened", reshape(kNorm, {1, 128}), "tensor '" + kNorm + "' has shape [1,128], expected [128]"},
        {"missing", drop(kKBias), "missing tensor '" + kKBias + "' (expected shape [64])"},
        {"dtype", as_int32(kNorm),
         "tensor '" + kNorm + "' has dtype I32, expected a floating-point weight (F32, F16 or BF16)"},
    };
}

TEST(ModelTensors, TableIsExactlyTheTinyCheckpoint) {
    const auto ws = package::open_weights(test::tiny_model_dir());
    const model::FastVlmConfig cfg = model::check_model(*ws);
    std::set<std::string> listed;
    for (const model::ModelTensor& t : model::fastvlm_tensors(cfg, true)) {
        listed.insert(t.name);
        if (t.counter) continue;  // I64 counters have no weight view
        const auto w = ws->find(t.name);
        ASSERT_TRUE(w) << t.name;
        EXPECT_EQ(w->shape, t.shape) << t.name;
    }
    const std::vector<std::string> names = ws->names();
    EXPECT_EQ(listed, std::set<std::string>(names.begin(), names.end()));
    EXPECT_EQ(listed.size(), names.size());
}

TEST(ModelTensors, EachBadTensorIsNamedWithBothShapes) {
    for (const TensorCase& k : bad_tensors()) {
        test::TempDir dir;
        test::copy_tiny_model(dir.path(), k.edit);
        const auto ws = package::open_weights(dir.path());
        EXPECT_EQ(test::error_of([&] { model::check_model(*ws); }), dir.path().string() + ": " + k.message)
            << k.label;
    }
}

TEST(ModelTensors, TiedEmbeddingsMayOmitTheHead) {
    test::TempDir dir;
    test::copy_tiny_model(dir.path(), drop("lm_head.weight"), [](json& c) { c["tie_word_embeddings"] = true; });
    EXPECT_EQ(test::error_of([&] { model::check_model(*package::open_weights(dir.path())); }), "");
    test::TempDir untied;
    test::copy_tiny_model(untied.path(), drop("lm_head.weight"));
    EXPECT_NE(test::error_of([&] { model::check_model(*package::open_weights(untied.path())); })
                  .find("missing tensor 'lm_head.weight'"),
              std::string::npos);
}

// An LLM-only export needs no vision tower, but the rest is checked as for every other command.
TEST(ModelTensors, WithoutVisionSkipsOnlyTheTower) {
    const auto no_tower = [](io::OwnedTensor& t) { return !t.decl.name.starts_with("model.vision_tower."); };
    test::TempDir dir;
    test::copy_tiny_model(dir.path(), no_tower);
    const auto ws = package::open_weights(dir.path());
    EXPECT_EQ(test::error_of([&] { model::check_model(*ws, model::ModelParts::WithoutVision); }), "");
    EXPECT_NE(test::error_of([&] { model::check_model(*ws); }).find("missing tensor 'model.vision_tower."),
              std::string::npos);
    test::TempDir bad;
    test::copy_tiny_model(bad.path(), [&](io::OwnedTensor& t) { return no_tower(t) && reshape(kDown, {352, 128})(t); });
    EXPECT_EQ(test::error_of([&] { model::check_model(*package::open_weights(bad.path()), model::ModelParts::WithoutVision); }),
              bad.path().string() + ": tensor '" + kDown + "' has shape [352,128], expected [128,352]");
}

// What `run` rejects, `quantize` (plain, dry run) and `calibrate` reject up front with the same line, writing nothing.
TEST(ModelTensorsCli, QuantizeRejectsWhatRunRejects) {
    for (const TensorCase& k : bad_tensors()) {
        SCOPED_TRACE(k.label);
        test::TempDir tmp;
        const std::string model = (tmp / "model").string(), out = (tmp / "out.vlmq").string();
        test::copy_tiny_model(model, k.edit);
        const std::string line = model + ": " + k.message;
        const auto run = test::run_vlmq({"run", "--model", model, "--image", image_path(), "--prompt", "hi"});
        expect_one_line_error(run, line);
        expect_one_line_error(test::run_vlmq({"quantize", "--model", model, "--config", adr_config(), "--out", out}),
                              line);
        expect_one_line_error(test::run_vlmq({"quantize", "--model", model, "--config", adr_config(), "--dry-run"}),
                              line);
        expect_one_line_error(test::run_vlmq({"calibrate", "--model", model, "--data",
                                              (test::tiny_data_dir() / "calib").string(), "--out", out}),
                              line);
        EXPECT_FALSE(fs::exists(out));
    }
}

// ---- format names -------------------------------------------------------------------------------------------------

TEST(FormatName, UnsupportedPartsAreNamedWithTheAllowedValues) {
    const std::string groups = "(allowed: g16, g32, g64, g128, g256, row)";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"int4_g33_sym", "group 'g33' is not supported " + groups},  // the issue's example (became g32)
        {"int4_g48_aff", "group 'g48' is not supported " + groups},
        {"int8_g512_sym", "group 'g512' is not supported " + groups},
        {"int4_g0_sym", "group 'g0' is not supported " + groups},
        {"int4_g-32_sym", "group 'g-32' is not supported " + groups},
        {"int4_g32_asym", "suffix 'asym' is not supported (allowed: sym, aff)"},
        {"int4_g32_sym_x", "suffix 'sym_x' is not supported (allowed: sym, aff)"},
        {"int9_g32_sym", "bits '9' are not supported (allowed: 2..8)"},
        {"int4_g32", "expected f32, f16, bf16 or int<bits>_<g<size>|row>_<sym|aff>"},
        {"fp8", "expected f32, f16, bf16 or int<bits>_<g<size>|row>_<sym|aff>"},
    };
    for (const auto& [name, why] : cases) {
        std::string got;
        EXPECT_FALSE(qformat::Format::parse(name, &got).has_value()) << name;
        EXPECT_EQ(got, why) << name;
    }
    for (int g : qformat::kGroupSizes) {
        const auto f = qformat::Format::parse("int4_g" + std::to_string(g) + "_aff");
        ASSERT_TRUE(f) << g;
        EXPECT_EQ(f->group_size, g);
    }
}

TEST(FormatName, QuantConfigNamesTheString) {
    const auto arch = arch::fastvlm_arch_table();
    auto error = [&](const json& j) { return test::error_of([&] { quant::QuantConfig::parse(j, "q.json", arch); }); };
    EXPECT_EQ(error({{"decoder", "int4_g33_sym"}}),
              "q.json: 'decoder': unknown precision 'int4_g33_sym': group 'g33' is not supported (allowed: g16, g32, "
              "g64, g128, g256, row) (precisions: int2..int8, fp16, bf16, fp32, keep, a format name like "
              "int4_g64_aff, or an object)");
    EXPECT_NE(error({{"overrides", {{"^lm_head", "int4_g32_sym2"}}}}).find("'int4_g32_sym2': suffix 'sym2'"),
              std::string::npos);
    EXPECT_EQ(error({{"decoder", {{"bits", 4}, {"group_size", 33}}}}),
              "q.json: 'decoder': group_size must be one of 16, 32, 64, 128, 256, 0 or \"channel\", got 33");
    EXPECT_NE(error({{"fallback", json::array({"int8", "int4_g24_sym"})}}).find("'int4_g24_sym'"), std::string::npos);
}

TEST(FormatNameCli, QuantizeRejectsTheConfig) {
    test::TempDir tmp;
    const std::vector<std::pair<json, std::string>> configs = {
        {{{"decoder", "int4_g33_sym"}}, "unknown precision 'int4_g33_sym': group 'g33'"},
        {{{"vision_encoder", "int8_row_symmetric"}}, "unknown precision 'int8_row_symmetric': suffix 'symmetric'"},
        {{{"overrides", {{"down_proj", "int4_g96_aff"}}}}, "unknown precision 'int4_g96_aff': group 'g96'"},
    };
    for (const auto& [config, needle] : configs) {
        const fs::path file = tmp / "q.json";
        write_json(file, config);
        const std::string out = (tmp / "out.vlmq").string();
        expect_one_line_error(test::run_vlmq({"quantize", "--model", test::tiny_model_dir().string(), "--config",
                                              file.string(), "--out", out}),
                              needle);
        EXPECT_FALSE(fs::exists(out));
    }
}

// ---- numeric options and their config-file twins ----------------------------------------------------------------

TEST(OptionsCli, OutOfRangeValuesAreOneLineErrors) {
    const std::string model = test::tiny_model_dir().string();
    const std::vector<std::string> quantize = {"quantize", "--model", model, "--config", adr_config(), "--dry-run"};
    const std::vector<std::string> run = {"run", "--model", model, "--image", image_path(), "--prompt", "hi"};
    auto with = [](std::vector<std::string> base, std::initializer_list<std::string> extra) {
        base.insert(base.end(), extra);
        return base;
    };
    auto global = [](std::initializer_list<std::string> extra, const std::vector<std::string>& base) {
        std::vector<std::string> v(extra);
        v.insert(v.end(), base.begin(), base.end());
        return v;
    };
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        // the issue's examples
        {with(quantize, {"--target-size", "nan"}), "--target-size: 'nan' is not a finite number in (0, 1000000000]"},
        {global({"--threads", "0"}, quantize), "--threads: '0' is not an integer in 1..1024"},
        {global({"--threads", "100000"}, quantize), "--threads: '100000' is not an integer in 1..1024"},
        // more members
        {with(quantize, {"--target-size", "inf"}), "--target-size: 'inf'"},
        {with(quantize, {"--target-size", "-5"}), "--target-size: '-5'"},
        {with(quantize, {"--target-size", "0"}), "--target-size: '0'"},
        {with(quantize, {"--target-size", "1e400"}), "--target-size: '1e400'"},
        {global({"--threads", "-1"}, quantize), "--threads: '-1'"},
        {global({"--threads", "2.5"}, quantize), "--threads: '2.5'"},
        {global({"--threads", "010"}, quantize), "--threads: '010'"},
        {with(quantize, {"--min-retention", "nan"}), "--min-retention: 'nan' is not a finite number in [0, 1]"},
        {with(quantize, {"--min-retention", "1.5"}), "--min-retention: '1.5'"},
        {with(quantize, {"--seed", "-1"}), "--seed: '-1' is not an integer in 0..18446744073709551615"},
        {with(quantize, {"--shard-gb", "0"}), "--shard-gb: '0' is not a finite number in [1e-06, 1000000]"},
        {with(quantize, {"--calib-samples", "0"}), "--calib-samples: '0' is not an integer in 1..10000000"},
        {with(quantize, {"--val-samples", "99999999999"}), "--val-samples: '99999999999'"},
        {with(quantize, {"--feature-cache-mb", "-1"}), "--feature-cache-mb: '-1'"},
        {with(run, {"--top-p", "nan"}), "--top-p: 'nan' is not a finite number in (0, 1]"},
        {with(run, {"--temperature", "inf"}), "--temperature: 'inf'"},
        {with(run, {"--max-new-tokens", "-1"}), "--max-new-tokens: '-1'"},
        {{"eval", "--model", model, "--data", "x", "--samples", "0"}, "--samples: '0'"},
        {{"calibrate", "--model", model, "--data", "x", "--out", "x", "--hessian-max-k", "0"}, "--hessian-max-k: '0'"},
        {{"synth", "--preset", "tiny", "--out", "x", "--shard-gb", "-1"}, "--shard-gb: '-1'"},
        // option errors CLI11 reports (exit 106/109 + a help hint before)
        {with(quantize, {"--bogus"}), "--bogus"},
        {{"quantize", "--config", adr_config()}, "--model is required"},
        {with(quantize, {"--calib-samples", "many"}), "--calib-samples"},
    };
    for (const auto& [args, needle] : cases) {
        SCOPED_TRACE(needle);
        expect_one_line_error(test::run_vlmq(args), needle);
    }
}

TEST(OptionsCli, BoundsThemselvesAreAccepted) {
    const std::string model = test::tiny_model_dir().string();
    for (const char* threads : {"1", "1024"}) {
        const auto r = test::run_vlmq({"--threads", threads, "inspect", model, "--json"});
        EXPECT_EQ(r.exit_code, 0) << threads << ": " << r.err;
    }
    const auto r = test::run_vlmq({"quantize", "--model", model, "--config", adr_config(), "--dry-run", "--json",
                                   "--min-retention", "1", "--seed", "18446744073709551615", "--target-size", "1e9"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto help = test::run_vlmq({"quantize", "--help"});
    EXPECT_EQ(help.exit_code, 0) << help.err;
    EXPECT_NE(help.out.find("--target-size"), std::string::npos);
}

TEST(Options, QuantConfigFieldsAreBounded) {
    const auto arch = arch::fastvlm_arch_table();
    auto error = [&](const json& j) { return test::error_of([&] { quant::QuantConfig::parse(j, "q.json", arch); }); };
    EXPECT_EQ(error({{"validation", {{"samples", 0}}}}),
              "q.json: 'validation'.samples: must be an integer in 1..10000000, got 0");
    EXPECT_EQ(error({{"validation", {{"samples", int64_t(10'000'000'000)}}}}),
              "q.json: 'validation'.samples: must be an integer in 1..10000000, got 10000000000");
    EXPECT_EQ(error({{"validation", {{"min_retention", 1.5}}}}),
              "q.json: 'validation'.min_retention: must be a number in [0, 1], got 1.5");
    EXPECT_EQ(error({{"validation", {{"min_retention", -0.25}}}}),
              "q.json: 'validation'.min_retention: must be a number in [0, 1], got -0.25");
    EXPECT_EQ(error({{"validation", {{"max_kld", -1}}}}),
              "q.json: 'validation'.max_kld: must be null or a finite non-negative number, got -1");
    EXPECT_EQ(error({{"calibration_samples", 0}}), "q.json: 'calibration_samples': must be an integer in 1..10000000, got 0");
    EXPECT_EQ(error({{"calibration_samples", 2.5}}),
              "q.json: 'calibration_samples': must be an integer in 1..10000000, got 2.5");
    EXPECT_EQ(error({{"validation", {{"samples", 300}, {"min_retention", 0.9}, {"max_kld", 0.5}}}}), "");
}

TEST(OptionsCli, QuantConfigFieldErrorsExitOne) {
    test::TempDir tmp;
    const fs::path file = tmp / "q.json";
    write_json(file, {{"decoder", "int4"}, {"validation", {{"samples", -3}}}});
    expect_one_line_error(test::run_vlmq({"quantize", "--model", test::tiny_model_dir().string(), "--config",
                                          file.string(), "--dry-run"}),
                          "'validation'.samples: must be an integer in 1..10000000, got -3");
}

}  // namespace
}  // namespace vlmq
