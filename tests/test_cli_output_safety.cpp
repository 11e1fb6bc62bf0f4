// The output rules through build/vlmq: every command that writes refuses an output that is, contains or lies
// inside one of its inputs, or that holds something vlmq did not write (unless --force), with one line and
// exit code 1, and the victim's bytes unchanged; reruns replace their own outputs; stale staging of killed
// runs is removed.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "core/fs_util.h"
#include "core/staging.h"
#include "test_util.h"

namespace vlmq {
namespace {

namespace fs = std::filesystem;

const char* kConfig = R"({"vision_encoder":"int4","text_encoder":"int8","fusion_layers":"fp16","decoder":"int4"})";

// Every file under `root` (or `root` itself) with its bytes: what must not change.
std::map<std::string, std::string> snapshot(const fs::path& root) {
    std::map<std::string, std::string> files;
    if (fs::is_regular_file(root)) {
        files[""] = read_text_file(root);
        return files;
    }
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file()) files[fs::relative(e.path(), root).string()] = read_text_file(e.path());
    return files;
}

// Exit 1, one line "vlmq: error: ...", containing `needle`.
void expect_refused(const test::CommandResult& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err.rfind("vlmq: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

class CliOutputSafety : public ::testing::Test {
protected:
    void SetUp() override {
        fs::copy(test::tiny_model_dir(), tmp_ / "model", fs::copy_options::recursive);
        std::ofstream(tmp_ / "cfg.json") << kConfig;
    }
    std::string model() const { return (tmp_ / "model").string(); }
    std::string config() const { return (tmp_ / "cfg.json").string(); }
    test::CommandResult quantize(const std::string& out, std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{"quantize", "--model", model(), "--config", config(), "--out", out};
        args.insert(args.end(), extra.begin(), extra.end());
        return test::run_vlmq(args);
    }
    // A package written by vlmq, for the commands that read one.
    std::string package() {
        const std::string pkg = (tmp_ / "tiny.vlmq").string();
        if (!fs::exists(pkg)) EXPECT_EQ(quantize(pkg).exit_code, 0);
        return pkg;
    }
    fs::path user_dir() const {
        const fs::path d = tmp_ / "project";
        fs::create_directories(d / "src");
        std::ofstream(d / "notes.txt") << "the user's notes";
        std::ofstream(d / "src" / "main.cpp") << "int main() {}";
        return d;
    }
    test::TempDir tmp_;
};

TEST_F(CliOutputSafety, QuantizeNeverWritesOverItsModel) {
    const auto before = snapshot(model());
    const std::string m = model();
    expect_refused(quantize(m), "--out " + m + " is the --model directory; choose another path");
    expect_refused(quantize(m, {"--force"}), "is the --model directory");
    expect_refused(quantize(m + "/../model"), "is the --model directory");
    expect_refused(quantize(m + "/"), "is the --model directory");
    expect_refused(quantize(m + "/q.vlmq"), "lies inside the --model directory " + m);
    expect_refused(quantize(tmp_.path().string(), {"--force"}), "contains the --model directory " + m);
    expect_refused(quantize(config()), "is the --config file");
    EXPECT_EQ(snapshot(model()), before);
    EXPECT_FALSE(fs::exists(tmp_ / "model" / "q.vlmq"));
}

TEST_F(CliOutputSafety, DequantizeAndExportNeverWriteOverTheirSource) {
    const std::string pkg = package();
    const auto before = snapshot(pkg);
    expect_refused(test::run_vlmq({"dequantize", pkg, "--out", pkg}),
                   "--out " + pkg + " is the package directory; choose another path");
    expect_refused(test::run_vlmq({"dequantize", pkg, "--out", pkg, "--force"}), "is the package directory");
    expect_refused(test::run_vlmq({"dequantize", pkg, "--out", pkg + "/back"}), "lies inside the package directory");
    expect_refused(test::run_vlmq({"export", "mlx", "--model", pkg, "--out", pkg}), "is the --model directory");
    expect_refused(test::run_vlmq({"export", "coreml", "--model", model(), "--out", model() + "/v.mlpackage"}),
                   "lies inside the --model directory");
    EXPECT_EQ(snapshot(pkg), before);
}

TEST_F(CliOutputSafety, ExistingDataVlmqDidNotWriteIsRefused) {
    const fs::path user = user_dir();
    const auto before = snapshot(user);
    expect_refused(quantize(user.string()),
                   "--out " + user.string() +
                       " exists and is not a .vlmq package written by vlmq; choose another path, or pass --force to "
                       "replace it");
    expect_refused(quantize((tmp_ / "project" / ".." / "project").string()), "is not a .vlmq package written by vlmq");
    expect_refused(test::run_vlmq({"dequantize", package(), "--out", user.string()}),
                   "is not a checkpoint directory written by vlmq");
    expect_refused(test::run_vlmq({"export", "mlx", "--model", package(), "--out", user.string()}),
                   "is not an MLX export written by vlmq");
    expect_refused(test::run_vlmq({"synth", "--preset", "tiny", "--out", user.string()}),
                   "is not a checkpoint directory written by vlmq");
    // Regular files: never replaced by a directory (even with --force), nor by a file of another kind.
    const fs::path notes = user / "notes.txt";
    expect_refused(quantize(notes.string(), {"--force"}), "is a file, and a .vlmq package is a directory");
    expect_refused(test::run_vlmq({"eval", "--model", model(), "--data", (test::tiny_data_dir() / "test").string(),
                                   "--samples", "2", "--out", notes.string()}),
                   "is not a VQAv2 results file written by vlmq");
    expect_refused(test::run_vlmq({"calibrate", "--model", model(), "--data",
                                   (test::tiny_data_dir() / "calib").string(), "--samples", "2", "--out",
                                   notes.string()}),
                   "is not a calibration statistics file written by vlmq");
    expect_refused(test::run_vlmq({"calibrate", "--model", model(), "--data",
                                   (test::tiny_data_dir() / "calib").string(), "--samples", "2", "--out",
                                   user.string(), "--force"}),
                   "is a directory, and a calibration statistics file is a file");
    expect_refused(quantize((tmp_ / "new.vlmq").string(), {"--report", notes.string()}),
                   "--report " + notes.string() + " exists and is not a progressive report written by vlmq");
    expect_refused(quantize((tmp_ / "new.vlmq").string(), {"--report", (tmp_ / "new.vlmq" / "r.json").string()}),
                   "lies inside the --out path");
    // A symbolic link at --out is never written through.
    fs::create_directory_symlink(user, tmp_ / "link.vlmq");
    expect_refused(quantize((tmp_ / "link.vlmq").string(), {"--force"}), "is a symbolic link");
    EXPECT_EQ(snapshot(user), before);
    EXPECT_FALSE(fs::exists(tmp_ / "new.vlmq"));
}

TEST_F(CliOutputSafety, ForceReplacesAnotherDirectoryAndRerunsReplaceTheirOwn) {
    const fs::path user = user_dir();
    const auto r = quantize(user.string(), {"--force"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(user / "manifest.json"));
    EXPECT_FALSE(fs::exists(user / "notes.txt"));
    // Now it is a package: a rerun replaces it without --force, here spelled x/../x.
    const auto first = snapshot(user);
    const auto again = quantize((tmp_ / "project" / ".." / "project").string());
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(snapshot(user), first);
    for (const auto& e : fs::directory_iterator(tmp_.path()))
        EXPECT_EQ(e.path().filename().string().find("project."), std::string::npos) << e.path();  // nothing stranded
    // An empty directory holds nothing to lose.
    fs::create_directories(tmp_ / "empty");
    EXPECT_EQ(test::run_vlmq({"dequantize", package(), "--out", (tmp_ / "empty").string()}).exit_code, 0);
    EXPECT_TRUE(fs::exists(tmp_ / "empty" / "model.safetensors"));
}

TEST_F(CliOutputSafety, EveryCommandReplacesItsOwnEarlierOutput) {
    const std::string pkg = package();
    const std::string calib = (test::tiny_data_dir() / "calib").string();
    const std::vector<std::vector<std::string>> commands{
        {"dequantize", pkg, "--out", (tmp_ / "back").string()},
        {"export", "mlx", "--model", pkg, "--out", (tmp_ / "mlx").string()},
        {"export", "coreml", "--model", pkg, "--out", (tmp_ / "v.mlpackage").string()},
        {"synth", "--preset", "tiny", "--out", (tmp_ / "synth").string()},
        {"calibrate", "--model", model(), "--data", calib, "--samples", "2", "--out", (tmp_ / "s.safetensors").string()},
        {"eval", "--model", pkg, "--data", (test::tiny_data_dir() / "test").string(), "--samples", "2", "--out",
         (tmp_ / "results.json").string()},
        {"forward", "--model", pkg, "--image", (test::tiny_data_dir() / "test" / "images" / "test_00001.png").string(),
         "--prompt", "What?", "--dump", (tmp_ / "d.safetensors").string()},
        {"quantize", "--model", model(), "--config", config(), "--out", pkg}};
    for (const auto& args : commands) {
        const fs::path out = args[args.size() - 1];
        const auto first = test::run_vlmq(args);
        ASSERT_EQ(first.exit_code, 0) << args[0] << ": " << first.err;
        const auto bytes = snapshot(out);
        const auto second = test::run_vlmq(args);
        EXPECT_EQ(second.exit_code, 0) << args[0] << ": " << second.err;
        EXPECT_EQ(snapshot(out), bytes) << args[0];
    }
    // Only the outputs are left: no staging beside them.
    for (const auto& e : fs::directory_iterator(tmp_.path()))
        EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
    // A Core ML package vlmq did not write (coremltools' identifiers are random) is not replaced.
    const fs::path foreign = tmp_ / "foreign.mlpackage";
    fs::copy(tmp_ / "v.mlpackage", foreign, fs::copy_options::recursive);
    std::string manifest = read_text_file(foreign / "Manifest.json");
    manifest[manifest.find("rootModelIdentifier\": \"") + 23] ^= 1;
    write_file_atomic(foreign / "Manifest.json", manifest);
    expect_refused(test::run_vlmq({"export", "coreml", "--model", pkg, "--out", foreign.string()}),
                   "is not a Core ML package written by vlmq");
    EXPECT_EQ(read_text_file(foreign / "Manifest.json"), manifest);
}

TEST_F(CliOutputSafety, StaleStagingOfKilledRunsIsRemovedAndLiveRunsKept) {
    const fs::path out = tmp_ / "out.vlmq";
    const pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, nullptr, 0);
    auto plant = [&](const std::string& tag, long pid, bool marker) {
        const fs::path d = fmt::format("{}.{}-{}-{}", out.string(), tag, pid, marker ? "m" : "u");
        fs::create_directories(d);
        std::ofstream(d / "model.safetensors") << "half-written";
        if (marker) std::ofstream(d / kStagingMarker) << "vlmq staging\n";
        return d;
    };
    const fs::path dead_tmp = plant("tmp", dead, true), dead_cand = plant("candidates", dead, true);
    const fs::path unmarked = plant("tmp", dead, false), init = plant("tmp", 1, true);
    const fs::path mine = plant("candidates", getpid(), true);  // this test process is alive
    const auto r = quantize(out.string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(dead_tmp));
    EXPECT_FALSE(fs::exists(dead_cand));
    EXPECT_TRUE(fs::exists(unmarked / "model.safetensors"));
    EXPECT_TRUE(fs::exists(init / "model.safetensors"));
    EXPECT_TRUE(fs::exists(mine / "model.safetensors"));
    EXPECT_TRUE(fs::exists(out / "manifest.json"));
}

}  // namespace
}  // namespace vlmq
