#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "core/fs_util.h"
#include "io/checkpoint.h"
#include "package/package_reader.h"
#include "qformat/dequant.h"
#include "quant/quantizer.h"
#include "arch/fastvlm_arch.h"
#include "test_util.h"

using namespace vlmq;
namespace fs = std::filesystem;

namespace {

const char* kAdr = R"({"vision_encoder":"int4","text_encoder":"int8","fusion_layers":"fp16","decoder":"int4"})";

quant::QuantizeReport quantize_tiny(const fs::path& out, const std::string& config_text, int threads = 2) {
    ThreadPool pool(threads);
    Compute c;
    c.pool = &pool;
    const io::Checkpoint ckpt(test::tiny_model_dir());
    quant::QuantizeOptions o;
    o.progress = false;
    return quant::quantize_checkpoint(ckpt, quant::QuantConfig::parse(json::parse(config_text), "cfg", arch::fastvlm_arch_table()), out, c, o);
}

std::string slurp(const fs::path& p) { return read_text_file(p); }

}  // namespace

TEST(QuantizePackage, AdrConfigOnTinyModel) {
    test::TempDir dir;
    const auto r = quantize_tiny(dir / "tiny.vlmq", kAdr);
    ASSERT_EQ(r.tensors.size(), 150u);
    ASSERT_EQ(r.components.size(), 4u);
    for (const auto& c : r.components) {
        SCOPED_TRACE(c.name);
        if (c.name == "fusion_layers") {
            EXPECT_NEAR(c.bits_per_weight(), 16.0, 1e-9);
            EXPECT_LT(c.worst_rel_error, 1e-3);  // bf16 -> fp16
        } else if (c.name == "text_encoder") {
            EXPECT_NEAR(c.bits_per_weight(), 8.0 + 16.0 / 128.0, 1e-9);  // int8 per row of 128
            EXPECT_LT(c.worst_rel_error, 0.01);
            EXPECT_GT(c.worst_rel_error, 0.0);
        } else {
            EXPECT_LT(c.mean_rel_error(), 0.15);
            EXPECT_GT(c.mean_rel_error(), 0.03);  // int4 really happened
        }
    }
    // The package is the sum of its parts, and the manifest agrees with the safetensors on disk.
    const package::Package pkg(dir / "tiny.vlmq");
    EXPECT_EQ(pkg.tensors().size(), 150u);
    uint64_t on_disk = 0;
    for (const auto& e : fs::directory_iterator(dir / "tiny.vlmq")) on_disk += e.file_size();
    EXPECT_EQ(on_disk, r.package_bytes);
    int64_t stored = 0;
    for (const auto& [n, t] : pkg.tensors()) stored += t.bytes;
    EXPECT_EQ(stored, r.bytes_after);
    EXPECT_TRUE(fs::exists(dir / "tiny.vlmq" / "tokenizer.json"));
    EXPECT_TRUE(fs::exists(dir / "tiny.vlmq" / "config.json"));
}

TEST(QuantizePackage, PackageWeightsDequantizeToTheRecordedError) {
    test::TempDir dir;
    const auto r = quantize_tiny(dir / "p.vlmq", kAdr);
    const auto pkg = package::open_weights(dir / "p.vlmq");
    const auto src = package::open_weights(test::tiny_model_dir());
    for (const auto& t : r.tensors) {
        if (t.entry->keep || !dtype_is_float(t.entry->tensor.dtype)) continue;
        const std::string& name = t.entry->tensor.name;
        const auto a = src->get_f32(name);
        const auto b = pkg->get_f32(name);
        ASSERT_EQ(a.size(), b.size());
        double num = 0, den = 0;
        for (size_t i = 0; i < a.size(); ++i) {
            num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
            den += double(a[i]) * a[i];
        }
        EXPECT_NEAR(std::sqrt(num / den), t.rel_error, 1e-9 + 1e-6 * t.rel_error) << name;
        EXPECT_EQ(pkg->get(name).mat.fmt, t.entry->precision.format) << name;
    }
}

TEST(QuantizePackage, OutputIsByteIdenticalAcrossRunsAndThreadCounts) {
    test::TempDir dir;
    quantize_tiny(dir / "a.vlmq", kAdr, 1);
    quantize_tiny(dir / "b.vlmq", kAdr, 2);
    for (const auto& e : fs::directory_iterator(dir / "a.vlmq")) {
        const fs::path other = dir / "b.vlmq" / e.path().filename();
        ASSERT_TRUE(fs::exists(other)) << other;
        EXPECT_EQ(slurp(e.path()), slurp(other)) << e.path().filename();
    }
}

TEST(QuantizePackage, ReplacesExistingOutputAndLeavesNoTemporaries) {
    test::TempDir dir;
    quantize_tiny(dir / "p.vlmq", kAdr);
    quantize_tiny(dir / "p.vlmq", R"({"vision_encoder":"int8","text_encoder":"int8","fusion_layers":"fp16","decoder":"int8"})");
    const package::Package pkg(dir / "p.vlmq");
    EXPECT_EQ(pkg.tensors().at("model.layers.0.mlp.up_proj.weight").format.name(), "int8_row_sym");
    for (const auto& e : fs::directory_iterator(dir.path())) EXPECT_EQ(e.path().filename(), "p.vlmq");
}

TEST(QuantizePackage, FailedRunLeavesNoPackage) {
    test::TempDir dir;
    // A source whose config names an unsupported architecture fails before anything is written.
    fs::create_directory(dir / "bad");
    fs::copy_file(test::tiny_model_dir() / "model.safetensors", dir / "bad" / "model.safetensors");
    std::ofstream(dir / "bad" / "config.json") << R"({"model_type":"bert"})";
    ThreadPool pool(1);
    Compute c;
    c.pool = &pool;
    quant::QuantizeOptions o;
    o.progress = false;
    EXPECT_THROW(quant::quantize_checkpoint(io::Checkpoint(dir / "bad"),
                                            quant::QuantConfig::parse(json::parse(kAdr), "cfg", arch::fastvlm_arch_table()), dir / "out.vlmq", c, o),
                 Error);
    EXPECT_FALSE(fs::exists(dir / "out.vlmq"));
    for (const auto& e : fs::directory_iterator(dir.path())) EXPECT_EQ(e.path().filename(), "bad");
}

TEST(QuantizeCli, QuantizeInspectDequantizeRoundTrip) {
    test::TempDir dir;
    const std::string cfg = (dir / "cfg.json").string();
    std::ofstream(cfg) << kAdr;
    const std::string pkg = (dir / "tiny.vlmq").string();
    auto q = test::run_vlmq({"quantize", "--model", test::tiny_model_dir().string(), "--config", cfg, "--out", pkg, "--json"});
    ASSERT_EQ(q.exit_code, 0) << q.err;
    const json qj = json::parse(q.out);
    EXPECT_EQ(qj["totals"]["tensors"], 150);

    auto i = test::run_vlmq({"inspect", pkg, "--json"});
    ASSERT_EQ(i.exit_code, 0) << i.err;
    const json ij = json::parse(i.out);
    uint64_t on_disk = 0;
    for (const auto& e : fs::directory_iterator(pkg)) on_disk += e.file_size();
    EXPECT_EQ(ij["files_bytes"].get<uint64_t>(), on_disk);
    EXPECT_EQ(ij["files_bytes"], qj["totals"]["package_bytes"]);
    EXPECT_EQ(ij["totals"]["tensor_bytes"], qj["totals"]["bytes_after"]);
    EXPECT_EQ(ij["components"]["decoder"]["bits_per_weight"], qj["components"]["decoder"]["bits_per_weight"]);

    auto d = test::run_vlmq({"dequantize", pkg, "--out", (dir / "back").string()});
    ASSERT_EQ(d.exit_code, 0) << d.err;
    const io::Checkpoint back(dir / "back");
    EXPECT_EQ(back.names().size(), 150u);
    EXPECT_EQ(back.at("model.layers.0.mlp.up_proj.weight").info->dtype, DType::BF16);
    EXPECT_EQ(back.at("model.vision_tower.vision_tower.model.network.0.0.convffn.conv.bn.num_batches_tracked").info->dtype,
              DType::I64);
    auto ci = test::run_vlmq({"inspect", (dir / "back").string(), "--json"});
    ASSERT_EQ(ci.exit_code, 0) << ci.err;
    EXPECT_EQ(json::parse(ci.out)["totals"]["tensors"], 150);
}

TEST(QuantizeCli, BadInputsGiveOneLineErrors) {
    test::TempDir dir;
    std::ofstream(dir / "cfg.json") << R"({"decoder":"int4","vision":"int4"})";
    auto r = test::run_vlmq({"quantize", "--model", test::tiny_model_dir().string(), "--config",
                             (dir / "cfg.json").string(), "--out", (dir / "x.vlmq").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("'vision': unknown key"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    std::ofstream(dir / "good.json") << kAdr;
    r = test::run_vlmq({"quantize", "--model", (dir / "nope").string(), "--config", (dir / "good.json").string(),
                        "--out", (dir / "x.vlmq").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
    std::ofstream(dir / "bad.json") << "{not json";
    r = test::run_vlmq({"quantize", "--model", test::tiny_model_dir().string(), "--config", (dir / "bad.json").string(),
                        "--out", (dir / "x.vlmq").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "x.vlmq"));
}
