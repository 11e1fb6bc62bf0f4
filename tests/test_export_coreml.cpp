// Core ML export of the tiny FastVLM's vision tower: the package layout and spec, the interpreter against the
// engine (bf16 checkpoint and ADR int4 package), weight.bin size arithmetic, corruption detection, and the CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "arch/fastvlm_names.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "export/coreml/export.h"
#include "export/coreml/interpreter.h"
#include "export/coreml/mil_proto.h"
#include "export/coreml/mlpackage.h"
#include "export/coreml/verify.h"
#include "io/checkpoint.h"
#include "model/fastvlm.h"
#include "model/vision_tower.h"
#include "package/package_reader.h"
#include "quant/quantizer.h"
#include "arch/fastvlm_arch.h"
#include "test_util.h"

using namespace vlmq;
using namespace vlmq::exporters::coreml;
namespace fs = std::filesystem;

namespace {

const char* kAdr = R"({"vision_encoder":"int4","text_encoder":"int8","fusion_layers":"fp16","decoder":"int4"})";

std::vector<float> golden_pixels() {
    return test::read_f32(test::tiny_golden_dir() / "sample_0.safetensors", "pixel_values");
}

fs::path quantize_model(const fs::path& model, const test::TempDir& dir, const char* config, const char* name) {
    const fs::path out = dir / name;
    ThreadPool pool(2);
    Compute c;
    c.pool = &pool;
    quant::QuantizeOptions o;
    o.progress = false;
    quant::quantize_checkpoint(io::Checkpoint(model), quant::QuantConfig::parse(json::parse(config), "cfg", arch::fastvlm_arch_table()),
                               out, c, o);
    return out;
}

fs::path quantize_tiny(const test::TempDir& dir, const char* config = kAdr, const char* name = "adr.vlmq") {
    return quantize_model(test::tiny_model_dir(), dir, config, name);
}

ExportReport export_to(const fs::path& model, const fs::path& out, Target t = Target::iOS18) {
    ExportOptions o;
    o.model = model;
    o.out = out;
    o.target = t;
    return export_coreml(o);
}

std::vector<float> engine_tokens(const fs::path& model, const std::vector<float>& pixels) {
    const auto ws = package::open_weights(model);
    const model::VisionTower tower(*ws);
    Compute c;
    c.int8_activations = false;
    return tower.forward(c, pixels.data());
}

std::vector<float> interpret(const fs::path& pkg_dir, const std::vector<float>& pixels) {
    const MlPackage pkg(pkg_dir);
    const Interpreter interp(pkg.spec(), [&](const std::string& f) -> const BlobReader& { return pkg.blobs(f); }, {});
    Tensor in;
    in.shape = {1, 3, 256, 256};
    in.f = pixels;
    return interp.run({{"images", in}}).at("image_features").f;
}

using vlmq::test::error_of;

// A copy of `src` whose model.mlmodel is `spec` re-encoded.
fs::path with_spec(const fs::path& src, const fs::path& dst, const ModelSpec& spec) {
    fs::copy(src, dst, fs::copy_options::recursive);
    std::ofstream(dst / "Data/com.apple.CoreML/model.mlmodel", std::ios::binary | std::ios::trunc) << encode_model(spec);
    return dst;
}

Operation& find_op(ModelSpec& spec, const std::string& output) {
    for (Operation& op : spec.program.functions.at("main").block.operations)
        if (op.outputs[0].name == output) return op;
    throw std::runtime_error("no op " + output);
}

uint64_t round64(uint64_t n) { return (n + 63) / 64 * 64; }

// weight.bin size from the tower's tensor shapes and the source formats: storage header, then per blob a
// 64-byte metadata record and the data padded to 64 bytes (the last blob, conv_exp.se.expand.bias, is a
// multiple of 64 bytes). Int weights: int4 (or int8) codes + fp32 scales; float weights fp16; the folded
// ConvFFN depthwise weights and every 1-D tensor fp32; BatchNorm statistics are folded away.
uint64_t expected_weight_bin(const model::VisionConfig& cfg, const std::function<qformat::Format(const std::string&)>& fmt_of,
                             uint64_t* int_code_bytes, uint64_t* scale_bytes) {
    std::vector<uint64_t> blobs;
    *int_code_bytes = *scale_bytes = 0;
    for (const auto& t : model::vision_tensors(cfg)) {
        const std::string& n = t.name;
        if (n.find("convffn.conv.bn.") != std::string::npos) continue;
        int64_t numel = 1;
        for (int64_t d : t.shape) numel *= d;
        if (t.shape.size() < 2 || n.find("layer_scale") != std::string::npos) {
            if (numel >= 10) blobs.push_back(uint64_t(numel) * 4);
            continue;
        }
        const qformat::Format f = fmt_of(std::string(arch::fastvlm::kVisionPrefix) + n);
        const int parts = n.find("qkv.weight") != std::string::npos ? 3 : 1;
        const int64_t rows = t.shape[0] / parts, cols = numel / t.shape[0];
        for (int p = 0; p < parts; ++p) {
            if (f.is_int()) {
                const uint64_t codes = uint64_t((rows * cols * (f.bits <= 4 ? 4 : 8) + 7) / 8);
                const qformat::Layout l = qformat::layout_of(f, rows, cols);
                blobs.push_back(codes);
                *int_code_bytes += codes;
                if (l.scale_count() >= 10) {
                    blobs.push_back(uint64_t(l.scale_count()) * 4);
                    *scale_bytes += uint64_t(l.scale_count()) * 4;
                }
            } else {
                const bool folded = n.find("convffn.conv.conv.weight") != std::string::npos;
                blobs.push_back(uint64_t(rows * cols) * (folded ? 4 : 2));
            }
        }
        if (n.find("convffn.conv.conv.weight") != std::string::npos && t.shape[0] >= 10)
            blobs.push_back(uint64_t(t.shape[0]) * 4);  // the folded BatchNorm bias
    }
    uint64_t total = 64;
    for (uint64_t b : blobs) total += 64 + round64(b);
    return total;
}

// The input activation of every matrix product (1x1 convs and linears, including the ones inside the layer-
// scaled residual branches whose effect on the output is tiny): program vs engine, worst max|a-b|/max|b|.
double worst_matrix_input_diff(const fs::path& model, const fs::path& mlpackage, const std::vector<float>& pixels,
                               int* compared) {
    std::map<std::string, std::vector<float>> engine;  // weight name -> x [M, K]
    model::ForwardHooks hooks;
    hooks.observe_input = [&](const std::string& name, const float* x, int64_t M, int64_t K, int64_t ldx) {
        auto& v = engine[name];
        v.resize(size_t(M * K));
        for (int64_t r = 0; r < M; ++r) std::copy(x + r * ldx, x + r * ldx + K, v.begin() + r * K);
    };
    const auto ws = package::open_weights(model);
    const model::VisionTower tower(*ws);
    Compute c;
    c.int8_activations = false;
    tower.forward(c, pixels.data(), &hooks);

    std::map<std::string, std::vector<float>> program;  // weight variable -> x as [H*W, K]
    const MlPackage pkg(mlpackage);
    const Interpreter interp(pkg.spec(), [&](const std::string& f) -> const BlobReader& { return pkg.blobs(f); }, {});
    Tensor in;
    in.shape = {1, 3, 256, 256};
    in.f = pixels;
    interp.run({{"images", in}}, [&](const Operation& op, const std::map<std::string, const Tensor*>& p, const Tensor&) {
        if (op.type != "conv") return;
        const Tensor& x = *p.at("x");
        const int64_t K = x.shape[1], HW = x.shape[2] * x.shape[3];
        std::vector<float> rows(size_t(K * HW));
        for (int64_t k = 0; k < K; ++k)
            for (int64_t q = 0; q < HW; ++q) rows[size_t(q * K + k)] = x.f[size_t(k * HW + q)];
        program[op.inputs.at("weight")[0].name] = std::move(rows);
    });
    double worst = 0;
    *compared = 0;
    for (const auto& [name, x] : engine) {
        std::string var = name.substr(std::string(arch::fastvlm::kVisionPrefix).size());
        std::replace(var.begin(), var.end(), '.', '_');
        if (var.find("qkv") != std::string::npos) var += "_q";
        auto it = program.find(var);
        if (it == program.end()) throw std::runtime_error("no conv reads weight variable " + var);
        worst = std::max(worst, test::max_rel_diff(it->second, x));
        ++*compared;
    }
    return worst;
}

}  // namespace

TEST(CoremlExport, EveryMatrixInputMatchesTheEngine) {
    test::TempDir dir;
    const fs::path vlmq_pkg = quantize_tiny(dir);
    const auto pixels = golden_pixels();
    for (const fs::path& model : {test::tiny_model_dir(), vlmq_pkg}) {
        const fs::path out = dir / "m.mlpackage";
        export_to(model, out);
        int compared = 0;
        const double worst = worst_matrix_input_diff(model, out, pixels, &compared);
        std::printf("  %s: %d matrix inputs, worst max rel diff %.3g\n", model.filename().c_str(), compared, worst);
        EXPECT_EQ(compared, 23);  // stem.2, 4 patch embeds, 6 ConvFFNs x (fc1, fc2), 2 x (qkv, proj), SE reduce + expand
        EXPECT_LE(worst, 1e-5);
    }
}

TEST(CoremlExport, Bf16CheckpointPackageMatchesTheEngine) {
    test::TempDir dir;
    const ExportReport r = export_to(test::tiny_model_dir(), dir / "tiny.mlpackage");
    EXPECT_EQ(r.tokens, 16);
    EXPECT_EQ(r.channels, 512);
    EXPECT_TRUE(fs::exists(dir / "tiny.mlpackage/Manifest.json"));
    EXPECT_TRUE(fs::exists(dir / "tiny.mlpackage/Data/com.apple.CoreML/weights/weight.bin"));

    // Manifest as coremltools writes it.
    const json m = read_json_file(dir / "tiny.mlpackage/Manifest.json");
    EXPECT_EQ(m["fileFormatVersion"], "1.0.0");
    const std::string root = m["rootModelIdentifier"];
    EXPECT_EQ(m["itemInfoEntries"][root]["path"], "com.apple.CoreML/model.mlmodel");
    EXPECT_EQ(m["itemInfoEntries"].size(), 2u);

    const MlPackage pkg(dir / "tiny.mlpackage");
    const ModelSpec& spec = pkg.spec();
    EXPECT_EQ(spec.specification_version, 9);
    ASSERT_EQ(spec.inputs.size(), 1u);
    EXPECT_EQ(spec.inputs[0].name, "images");
    EXPECT_EQ(spec.inputs[0].shape, (std::vector<int64_t>{1, 3, 256, 256}));
    EXPECT_EQ(spec.inputs[0].dtype, ArrayDataType::Float32);
    ASSERT_EQ(spec.outputs.size(), 1u);
    EXPECT_EQ(spec.outputs[0].name, "image_features");
    EXPECT_EQ(spec.outputs[0].shape, (std::vector<int64_t>{1, 16, 512}));
    const Function& fn = spec.program.functions.at("main");
    EXPECT_EQ(fn.opset, "CoreML8");
    EXPECT_EQ(fn.block.outputs, std::vector<std::string>{"image_features"});

    uint64_t codes = 0, scales = 0;
    const auto ws = package::open_weights(test::tiny_model_dir());
    const auto cfg = model::VisionConfig::from_model_config(ws->config());
    EXPECT_EQ(r.weight_bin_bytes, expected_weight_bin(cfg, [](const std::string&) { return qformat::Format::bf16(); },
                                                      &codes, &scales));

    const auto pixels = golden_pixels();
    const auto ref = engine_tokens(test::tiny_model_dir(), pixels);
    const auto got = interpret(dir / "tiny.mlpackage", pixels);
    const double rel = test::max_rel_diff(got, ref);
    std::printf("  bf16 checkpoint, ios18: max|coreml - engine| / max|engine| = %.3g\n", rel);
    EXPECT_LE(rel, 1e-3);
    // Token t = h * 4 + w, channel-minor, as the engine returns.
    ASSERT_EQ(got.size(), ref.size());
}

TEST(CoremlExport, AdrInt4PackageMatchesTheEngineAndItsSizeArithmetic) {
    test::TempDir dir;
    const fs::path vlmq_pkg = quantize_tiny(dir);
    const ExportReport r = export_to(vlmq_pkg, dir / "adr.mlpackage");
    const package::Package pkg(vlmq_pkg);
    const auto cfg = model::VisionConfig::from_model_config(pkg.config());

    uint64_t codes = 0, scales = 0;
    const uint64_t expected = expected_weight_bin(
        cfg,
        [&](const std::string& n) {
            const auto& t = pkg.tensors().at(n);
            return t.keep ? qformat::Format::bf16() : t.format;
        },
        &codes, &scales);
    std::printf("  ADR tiny: weight.bin %llu bytes (int4 codes %llu, fp32 scales %llu), %lld blobs\n",
                (unsigned long long)r.weight_bin_bytes, (unsigned long long)codes, (unsigned long long)scales,
                (long long)r.blobs);
    EXPECT_EQ(r.weight_bin_bytes, expected);
    EXPECT_GT(codes, 0u);
    EXPECT_EQ(r.by_storage.count("fp16"), 0u);  // every vision matrix is int4 in the ADR config
    EXPECT_GT(r.by_storage.at("blockwise int4").tensors, 40);

    const auto pixels = golden_pixels();
    const auto ref = engine_tokens(vlmq_pkg, pixels);
    const auto got = interpret(dir / "adr.mlpackage", pixels);
    const double rel = test::max_rel_diff(got, ref);
    std::printf("  ADR int4 package, ios18: max|coreml - engine| / max|engine| = %.3g\n", rel);
    EXPECT_LE(rel, 1e-3);

    // A decompressed int4 weight is bit-identical to vlmq's dequantization.
    const MlPackage ml(dir / "adr.mlpackage");
    const Interpreter interp(ml.spec(), [&](const std::string& f) -> const BlobReader& { return ml.blobs(f); }, {});
    const std::string name = std::string(arch::fastvlm::kVisionPrefix) + "network.4.1.convffn.fc1.weight";
    const Tensor w = interp.constant("network_4_1_convffn_fc1_weight");
    const auto ws = package::open_weights(vlmq_pkg);
    EXPECT_EQ(ws->get(name).mat.fmt.name(), "int4_g32_sym");
    EXPECT_EQ(w.shape, (std::vector<int64_t>{256, 64, 1, 1}));
    EXPECT_EQ(w.f, ws->get_f32(name));
}

// What evaluation and validation run by default (a default Compute, as `vlmq eval` and the progressive loop get
// it: weight-only numerics) is what the deployed Core ML program computes, on shapes-fastvlm's ADR int4 tower and
// a real test image; int8 activations (the W8A8 option) are measurably not.
TEST(CoremlExport, DeployedNumericsEvaluationMatchesTheInterpreter) {
    test::TempDir dir;
    const fs::path pkg = quantize_model(test::shapes().model(), dir, kAdr, "shapes-adr.vlmq");
    export_to(pkg, dir / "shapes.mlpackage");
    const auto pixels = test::read_f32(test::shapes().golden() / "sample_2.safetensors", "pixel_values");
    const auto coreml = interpret(dir / "shapes.mlpackage", pixels);

    const model::FastVLM m(pkg);
    ThreadPool pool(2);
    Compute deployed;
    deployed.pool = &pool;
    ASSERT_FALSE(deployed.int8_activations);
    const double rel = test::max_rel_diff(m.vision().forward(deployed, pixels.data()), coreml);
    Compute w8a8 = deployed;
    w8a8.int8_activations = true;
    const double rel8 = test::max_rel_diff(m.vision().forward(w8a8, pixels.data()), coreml);
    std::printf("  shapes ADR int4 tower: max|engine - coreml| / max|coreml| = %.3g weight-only, %.3g int8 activations\n",
                rel, rel8);
    EXPECT_LE(rel, 1e-4);
    EXPECT_GT(rel8, 1e-3);
}

TEST(CoremlExport, OlderTargetsUseTheirSpecVersionAndAttributeParameters) {
    test::TempDir dir;
    const auto pixels = golden_pixels();
    const auto ref = engine_tokens(test::tiny_model_dir(), pixels);
    for (Target t : {Target::iOS16, Target::iOS17}) {
        const fs::path out = dir / (std::string(target_info(t).name) + ".mlpackage");
        export_to(test::tiny_model_dir(), out, t);
        const MlPackage pkg(out);
        EXPECT_EQ(pkg.spec().specification_version, target_info(t).spec_version);
        const Function& fn = pkg.spec().program.functions.at("main");
        EXPECT_EQ(fn.opset, target_info(t).opset);
        int casts = 0;
        for (const Operation& op : fn.block.operations)
            if (op.type == "constexpr_cast") {
                ++casts;
                EXPECT_TRUE(op.inputs.empty());
                EXPECT_TRUE(op.attributes.count("source_val"));
            }
        EXPECT_EQ(casts, 40);  // 46 matrices, 6 of them ConvFFN depthwise kernels with BatchNorm folded (fp32)
        const double rel = test::max_rel_diff(interpret(out, pixels), ref);
        std::printf("  bf16 checkpoint, %s: max rel diff %.3g\n", target_info(t).name, rel);
        EXPECT_LE(rel, 1e-3);
    }
}

TEST(CoremlExport, Int3IsWidenedToInt4ForIos18AndRejectedForIos16) {
    test::TempDir dir;
    const fs::path p = quantize_tiny(dir, R"({"vision_encoder":"int3","text_encoder":"int8","fusion_layers":"fp16","decoder":"int4"})",
                                     "int3.vlmq");
    const ExportReport r = export_to(p, dir / "int3.mlpackage");
    EXPECT_EQ(r.by_format.at("int3_g32_sym").tensors + r.by_format.at("int3_row_sym").tensors,
              r.by_storage.at("blockwise int4").tensors);
    const VerifyReport v = verify_against_engine(dir / "int3.mlpackage", p, golden_pixels(), {});
    std::printf("  int3 package, ios18: constants %.3g, matrix inputs %.3g, image_features %.3g\n", v.weights.worst_rel,
                v.matrix_inputs_worst_rel, v.rel);
    EXPECT_LE(v.weights.worst_rel, 1e-6);
    EXPECT_LE(v.rel, 1e-3);
    const std::string err = error_of([&] { export_to(p, dir / "x.mlpackage", Target::iOS16); });
    EXPECT_NE(err.find("format int3_g32_sym is not expressible for ios16: use ios18 or re-quantize with int8"),
              std::string::npos)
        << err;
    EXPECT_FALSE(fs::exists(dir / "x.mlpackage"));
}

TEST(CoremlExport, OutputIsDeterministic) {
    test::TempDir dir;
    export_to(test::tiny_model_dir(), dir / "a.mlpackage");
    export_to(test::tiny_model_dir(), dir / "b.mlpackage");
    for (const char* f : {"Manifest.json", "Data/com.apple.CoreML/model.mlmodel", "Data/com.apple.CoreML/weights/weight.bin"})
        EXPECT_EQ(read_text_file(dir / "a.mlpackage" / f), read_text_file(dir / "b.mlpackage" / f)) << f;
    for (const auto& e : fs::directory_iterator(dir.path()))
        EXPECT_TRUE(e.path().extension() == ".mlpackage") << e.path();
}

TEST(CoremlExport, CorruptedProgramsAreDetected) {
    test::TempDir dir;
    const fs::path vlmq_pkg = quantize_tiny(dir);
    const fs::path good = dir / "good.mlpackage";
    export_to(vlmq_pkg, good);
    const auto pixels = golden_pixels();
    const auto ref = engine_tokens(vlmq_pkg, pixels);
    const ModelSpec base = MlPackage(good).spec();

    // 0. The good package: every constant equals its source.
    const auto ws = package::open_weights(vlmq_pkg);
    const auto cfg = model::VisionConfig::from_model_config(ws->config());
    const WeightCheck ok = check_weights(MlPackage(good), *ws, cfg);
    EXPECT_EQ(ok.compared, 112 - 24 + 4 + 6);  // tower tensors - BN statistics + extra q/k/v blocks + folded biases
    EXPECT_LE(ok.worst_rel, 1e-6) << ok.worst_name;
    // 1. A weight pointing at another blob of the same type and size: the program runs, the constant is wrong.
    {
        ModelSpec s = base;
        Operation& a = find_op(s, "network_4_0_convffn_fc1_weight");
        const Operation& b = find_op(s, "network_4_1_convffn_fc1_weight");
        std::get<BlobRef>(a.inputs.at("data")[0].value->data).offset =
            std::get<BlobRef>(b.inputs.at("data")[0].value->data).offset;
        const fs::path p = with_spec(good, dir / "swap.mlpackage", s);
        const WeightCheck bad = check_weights(MlPackage(p), *ws, cfg);
        std::printf("  swapped blob offset: constant %s differs by %.3g (relative)\n", bad.worst_name.c_str(), bad.worst_rel);
        EXPECT_EQ(bad.worst_name, "network_4_0_convffn_fc1_weight");
        EXPECT_GT(bad.worst_rel, 0.1);
        EXPECT_GT(test::max_rel_diff(interpret(p, pixels), ref), 1e-6);  // 20x the good package's difference
    }
    // 2. An offset moved by one record: no metadata there.
    {
        ModelSpec s = base;
        std::get<BlobRef>(find_op(s, "network_4_0_convffn_fc1_weight").inputs.at("data")[0].value->data).offset += 64;
        const auto p = with_spec(good, dir / "shift.mlpackage", s);
        const std::string err = error_of([&] { interpret(p, pixels); });
        EXPECT_NE(err.find("no blob metadata there"), std::string::npos) << err;
    }
    // 3. A misspelled op, a dropped parameter, a wrong permutation.
    {
        ModelSpec s = base;
        find_op(s, "stem_0").type = "convolution";
        EXPECT_NE(error_of([&] { interpret(with_spec(good, dir / "op.mlpackage", s), pixels); })
                      .find("op 'stem_0' (convolution): unsupported operation type"),
                  std::string::npos);
    }
    {
        ModelSpec s = base;
        find_op(s, "network_0_0_mixer").inputs.erase("pad");
        const std::string err = error_of([&] { interpret(with_spec(good, dir / "pad.mlpackage", s), pixels); });
        EXPECT_NE(err.find("op 'network_0_0_mixer' (conv)"), std::string::npos) << err;
    }
    {
        ModelSpec s = base;
        auto& perm = std::get<Immediate>(find_op(s, "image_features_perm").attributes.at("val").data).ints;
        perm = {0, 1, 2};
        const std::string err = error_of([&] { interpret(with_spec(good, dir / "perm.mlpackage", s), pixels); });
        EXPECT_NE(err.find("op 'image_features' (transpose): computes fp32[1,512,16] but declares fp32[1,16,512]"),
                  std::string::npos)
            << err;
    }
    // 4. A wrong GELU mode and a truncated weight file.
    {
        ModelSpec s = base;
        std::get<Immediate>(find_op(s, "stem_0_gelu_mode").attributes.at("val").data).strings = {"TANH_APPROXIMATION"};
        EXPECT_NE(error_of([&] { interpret(with_spec(good, dir / "gelu.mlpackage", s), pixels); }).find("gelu mode"),
                  std::string::npos);
    }
    {
        fs::copy(good, dir / "trunc.mlpackage", fs::copy_options::recursive);
        const fs::path bin = dir / "trunc.mlpackage/Data/com.apple.CoreML/weights/weight.bin";
        fs::resize_file(bin, fs::file_size(bin) - 100);
        EXPECT_NE(error_of([&] { interpret(dir / "trunc.mlpackage", pixels); }).find("runs past the end"), std::string::npos);
    }
}

TEST(CoremlExportCli, ExportsAndReportsJson) {
    test::TempDir dir;
    const std::string out = (dir / "v.mlpackage").string();
    auto r = test::run_vlmq({"export", "coreml", "--model", test::tiny_model_dir().string(), "--out", out, "--json",
                             "--verify", "--deployment-target", "ios17"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["specification_version"], 8);
    EXPECT_EQ(j["opset"], "CoreML7");
    EXPECT_EQ(j["output"]["shape"], json::parse("[1,16,512]"));
    EXPECT_EQ(j["weight_bin_bytes"].get<uint64_t>(), fs::file_size(dir / "v.mlpackage/Data/com.apple.CoreML/weights/weight.bin"));
    EXPECT_LE(j["verify"]["max_rel_diff"].get<double>(), 1e-3);
    EXPECT_EQ(j["verify"]["constants_compared"], 98);
    EXPECT_LE(j["verify"]["constants_worst_rel_diff"].get<double>(), 1e-3);  // fp16 storage of bf16 weights
    EXPECT_EQ(j["verify"]["matrix_inputs_compared"], 23);
    EXPECT_LE(j["verify"]["matrix_inputs_worst_rel_diff"].get<double>(), 1e-5);
}

TEST(CoremlExportCli, BadRequestsGiveOneLineErrors) {
    test::TempDir dir;
    const fs::path vlmq_pkg = quantize_tiny(dir);
    auto one_line = [](const test::CommandResult& r, const std::string& needle) {
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    };
    const std::string out = (dir / "x.mlpackage").string();
    one_line(test::run_vlmq({"export", "coreml", "--model", vlmq_pkg.string(), "--out", out, "--deployment-target", "ios16"}),
             "format int4_g32_sym is not expressible for ios16: use ios18 or re-quantize with int8");
    one_line(test::run_vlmq({"export", "coreml", "--model", vlmq_pkg.string(), "--out", out, "--deployment-target", "ios15"}),
             "unknown deployment target 'ios15' (expected ios16, ios17 or ios18)");
    one_line(test::run_vlmq({"export", "coreml", "--model", vlmq_pkg.string(), "--out", (dir / "x.bin").string()}),
             "must end in .mlpackage");

    // A checkpoint whose config has no vision tower, and one whose tower tensors are missing.
    fs::create_directory(dir / "novision");
    fs::copy_file(test::tiny_model_dir() / "model.safetensors", dir / "novision/model.safetensors");
    json cfg = read_json_file(test::tiny_model_dir() / "config.json");
    cfg.erase("vision_tower_config");
    cfg.erase("mm_vision_tower");
    std::ofstream(dir / "novision/config.json") << cfg.dump();
    one_line(test::run_vlmq({"export", "coreml", "--model", (dir / "novision").string(), "--out", out}),
             "no vision tower (neither 'vision_tower_config' nor 'mm_vision_tower' is set)");

    fs::create_directory(dir / "notensors");
    {
        std::vector<io::OwnedTensor> t;
        io::OwnedTensor x;
        x.decl = {"model.norm.weight", DType::F32, {4}};
        x.bytes.resize(16);
        t.push_back(x);
        io::write_safetensors(dir / "notensors/model.safetensors", t);
    }
    fs::copy_file(test::tiny_model_dir() / "config.json", dir / "notensors/config.json");
    one_line(test::run_vlmq({"export", "coreml", "--model", (dir / "notensors").string(), "--out", out}),
             "no FastViT vision tower");
    EXPECT_FALSE(fs::exists(out));
}
