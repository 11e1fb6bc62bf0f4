// The commands that read a package refuse a damaged one (exit 1, one line naming the package, shard and tensor)
// and `vlmq verify` reports it; a good package verifies and runs as before, with or without --no-verify.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "core/fs_util.h"
#include "core/json_util.h"
#include "io/safetensors.h"
#include "test_util.h"

namespace vlmq {
namespace {

namespace fs = std::filesystem;

const std::string kQuestion = "What shape is the purple object?";

std::string image() { return (test::tiny_data_dir() / "test" / "images" / "test_00001.png").string(); }

void expect_error_naming(const test::CommandResult& r, const std::vector<std::string>& needles) {
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.err.rfind("vlmq: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    for (const auto& n : needles) EXPECT_NE(r.err.find(n), std::string::npos) << "'" << n << "' not in: " << r.err;
}

class CliVerify : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        base_ = new test::TempDir();
        setenv("XDG_CACHE_HOME", (base_->path() / "cache").c_str(), 1);  // the hash cache stays in the test's dir
        std::ofstream(base_->path() / "q.json")
            << R"({"vision_encoder":"int4","text_encoder":"int8","fusion_layers":"fp16","decoder":"int4"})";
        const auto q = test::run_vlmq({"quantize", "--model", test::tiny_model_dir().string(), "--config",
                                       (base_->path() / "q.json").string(), "--shard-gb", "0.0002", "--out",
                                       (base_->path() / "good.vlmq").string()});
        ASSERT_EQ(q.exit_code, 0) << q.err;
    }
    static void TearDownTestSuite() { delete base_; }

    void SetUp() override {
        pkg_ = tmp_ / "p.vlmq";
        fs::copy(base_->path() / "good.vlmq", pkg_);
        m_ = ordered_json::parse(read_text_file(pkg_ / "manifest.json"));
        tensor_ = "model.layers.0.mlp.up_proj.weight";  // int4_g32_sym, read by every answer
        shard_ = m_["tensors"][tensor_]["file"];
    }
    std::string pkg() const { return pkg_.string(); }
    test::CommandResult run(const std::vector<std::string>& pre = {}) const {
        std::vector<std::string> args = pre;
        for (const char* a : {"run", "--model"}) args.push_back(a);
        for (const auto& a : {pkg(), std::string("--image"), image(), std::string("--prompt"), kQuestion})
            args.push_back(a);
        return test::run_vlmq(args);
    }
    void flip_code_byte() const {
        const fs::path shard = pkg_ / shard_;
        const io::SafetensorsFile f(shard);
        const uint64_t at = f.header_bytes().size() + f.find(tensor_)->begin + 3;
        std::fstream s(shard, std::ios::in | std::ios::out | std::ios::binary);
        s.seekg(std::streamoff(at));
        const char c = char(s.get() ^ 0x40);
        s.seekp(std::streamoff(at));
        s.put(c);
    }
    void write_manifest() const {
        std::ofstream(pkg_ / "manifest.json", std::ios::binary | std::ios::trunc) << m_.dump(2);
    }

    static test::TempDir* base_;
    test::TempDir tmp_;
    fs::path pkg_;
    ordered_json m_;
    std::string tensor_, shard_;
};
test::TempDir* CliVerify::base_ = nullptr;

TEST_F(CliVerify, GoodPackageVerifiesAndRunsDeterministically) {
    ASSERT_GE(m_["files"].size(), 3u);
    uint64_t bytes = 0;
    for (const char* k : {"files", "side_files"})
        for (const auto& f : m_[k]) bytes += f["bytes"].get<uint64_t>();
    const size_t files = m_["files"].size() + m_["side_files"].size();
    const auto v = test::run_vlmq({"verify", pkg()});
    ASSERT_EQ(v.exit_code, 0) << v.err;
    EXPECT_EQ(v.out, fmt::format("{}: OK ({} files, 150 tensors, {} bytes hashed)\n", pkg(), files, bytes));
    const auto j = test::run_vlmq({"verify", pkg(), "--json"});
    ASSERT_EQ(j.exit_code, 0) << j.err;
    const json jj = json::parse(j.out);
    EXPECT_EQ(jj["ok"], true);
    EXPECT_EQ(jj["bytes_hashed"], bytes);

    const auto a = run(), b = run(), c = run({"--no-verify"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_FALSE(a.out.empty());
    EXPECT_EQ(a.out, b.out);
    EXPECT_EQ(a.out, c.out);
    // The manifest is the only file that changed with the hashes: the shards are byte-identical to a package
    // written again from the same inputs.
    const auto q = test::run_vlmq({"quantize", "--model", test::tiny_model_dir().string(), "--config",
                                   (base_->path() / "q.json").string(), "--shard-gb", "0.0002", "--out",
                                   (tmp_ / "again.vlmq").string()});
    ASSERT_EQ(q.exit_code, 0) << q.err;
    for (const auto& e : fs::directory_iterator(pkg_))
        EXPECT_EQ(read_text_file(e.path()), read_text_file(tmp_ / "again.vlmq" / e.path().filename()));
}

TEST_F(CliVerify, FlippedCodeByteStopsEveryCommand) {
    flip_code_byte();
    const std::vector<std::string> needles{pkg(), shard_, "tensor '" + tensor_ + "'", "recorded hash"};
    expect_error_naming(run(), needles);
    expect_error_naming(test::run_vlmq({"verify", pkg()}), needles);
    expect_error_naming(test::run_vlmq({"dequantize", pkg(), "--out", (tmp_ / "d").string()}), needles);
    expect_error_naming(test::run_vlmq({"export", "mlx", "--model", pkg(), "--out", (tmp_ / "m").string()}), needles);
    expect_error_naming(
        test::run_vlmq({"export", "coreml", "--model", pkg(), "--out", (tmp_ / "c.mlpackage").string()}), needles);
    expect_error_naming(test::run_vlmq({"eval", "--model", pkg(), "--data", (test::tiny_data_dir() / "val").string(),
                                          "--samples", "1"}),
                          needles);
    EXPECT_FALSE(fs::exists(tmp_ / "d") || fs::exists(tmp_ / "m") || fs::exists(tmp_ / "c.mlpackage"));
    const auto j = test::run_vlmq({"verify", pkg(), "--json"});
    EXPECT_EQ(j.exit_code, 1);
    const json jj = json::parse(j.out);
    EXPECT_EQ(jj["ok"], false);
    EXPECT_NE(jj["error"].get<std::string>().find("tensor '" + tensor_ + "'"), std::string::npos);
    // --no-verify skips the hashes only: the structure is intact, so it runs.
    EXPECT_EQ(run({"--no-verify"}).exit_code, 0);
}

TEST_F(CliVerify, DequantizeRefusesATensorTheManifestDoesNotList) {
    m_["tensors"].erase(tensor_);
    write_manifest();
    for (const std::string& extra : {"--threads=1", "--no-verify"}) {  // a global option, given after the command
        const std::vector<std::string> args{"dequantize", pkg(), "--out", (tmp_ / "d").string(), extra};
        expect_error_naming(test::run_vlmq(args),
                              {shard_, "tensor '" + tensor_ + "' is stored in the shard but not listed in the manifest"});
        EXPECT_FALSE(fs::exists(tmp_ / "d"));
    }
}

TEST_F(CliVerify, StructureChecksRunWithNoVerify) {
    // NaN scale of row 0, group 0.
    {
        const fs::path shard = pkg_ / shard_;
        const io::SafetensorsFile f(shard);
        const uint64_t at = f.header_bytes().size() + f.find(tensor_ + ".scales")->begin;
        std::fstream s(shard, std::ios::in | std::ios::out | std::ios::binary);
        s.seekp(std::streamoff(at));
        s.put(char(0x01));
        s.put(char(0x7e));
    }
    expect_error_naming(run({"--no-verify"}), {shard_, "tensor '" + tensor_ + "'", "scale [row 0, group 0] is NaN"});
    expect_error_naming(test::run_vlmq({"--no-verify", "inspect", pkg()}), {"scale [row 0, group 0] is NaN"});
    // A manifest that lies about a format.
    fs::remove_all(pkg_);
    SetUp();
    m_["tensors"][tensor_]["format"] = "int4_g64_sym";
    write_manifest();
    expect_error_naming(run({"--no-verify"}), {shard_, "tensor '" + tensor_ + "'", "format int4_g64_sym"});
}

}  // namespace
}  // namespace vlmq
