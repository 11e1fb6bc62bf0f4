// The CLI on hostile inputs (issue 11 items 5, 6): deep or overflowing JSON, catastrophic regexes, huge image
// headers, FIFOs and devices in place of files, dataset images outside the data folder. Every run is wrapped
// in `timeout`, so a regression that hangs fails the test (exit 124) instead of blocking ctest; none of the
// cases asserts a duration.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/json_util.h"
#include "test_util.h"

namespace vlmq {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// test::run_vlmq under `timeout 120` (a hang reads as exit 124).
test::CommandResult run_bounded(const std::vector<std::string>& args) {
    test::TempDir tmp;
    std::string cmd = "timeout -k 5 120 " + quote(VLMQ_BIN);
    for (const auto& a : args) cmd += " " + quote(a);
    cmd += " >" + quote((tmp / "out").string()) + " 2>" + quote((tmp / "err").string()) + " </dev/null";
    const int status = std::system(cmd.c_str());
    test::CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(tmp / "out");
    r.err = slurp(tmp / "err");
    return r;
}

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

void expect_exact_error(const test::CommandResult& r, const std::string& message) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err, "vlmq: error: " + message + "\n");
}

std::string model() { return test::tiny_model_dir().string(); }
std::string image() { return (test::tiny_data_dir() / "test" / "images" / "test_00001.png").string(); }

test::CommandResult dry_run(const fs::path& config) {
    return run_bounded({"quantize", "--model", model(), "--config", config.string(), "--dry-run"});
}

TEST(CliBoundedInputs, DeepQuantizationConfig) {
    test::TempDir tmp;
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
    deep += "1" + std::string(100000, '}');
    write(tmp / "objects.json", R"({"components": )" + deep + "}");
    write(tmp / "arrays.json", R"({"overrides": )" + std::string(100000, '[') + std::string(100000, ']') + "}");
    for (const char* f : {"objects.json", "arrays.json"})
        expect_exact_error(dry_run(tmp / f), (tmp / f).string() + ": invalid JSON: arrays/objects nested deeper "
                                                                      "than 128 levels");
}

TEST(CliBoundedInputs, OverflowingNumbers) {
    test::TempDir tmp;
    write(tmp / "pos.json", R"({"decoder": "int8", "calibration_samples": 1e400})");
    write(tmp / "neg.json", R"({"decoder": "int8", "validation": {"max_drop": -1e400}})");
    const std::string digits = "9" + std::string(400, '9');
    write(tmp / "int.json", R"({"decoder": {"bits": )" + digits + "}}");
    expect_exact_error(dry_run(tmp / "pos.json"), (tmp / "pos.json").string() +
                                                         ": field 'calibration_samples': number 1e400 is out of range "
                                                         "(beyond +-1.8e308)");
    expect_exact_error(dry_run(tmp / "neg.json"), (tmp / "neg.json").string() +
                                                         ": field 'max_drop': number -1e400 is out of range (beyond "
                                                         "+-1.8e308)");
    expect_exact_error(dry_run(tmp / "int.json"), (tmp / "int.json").string() + ": field 'bits': number " + digits +
                                                         " is out of range (beyond +-1.8e308)");
}

TEST(CliBoundedInputs, CatastrophicRegexesFinish) {
    test::TempDir tmp;
    // Each would backtrack exponentially over a ~40-character tensor name in std::regex.
    write(tmp / "c.json", R"({"decoder": "int8", "overrides": {"^(([a-z0-9_.]+)+)+X$": "int4", "^(\\w|\\.)*\\.(\\w+)+!$":
                             "int4"}, "assign": {"^((a|[a-z0-9_.])*)*Z$": "decoder"}})");
    const auto r = run_bounded({"quantize", "--model", model(), "--config", (tmp / "c.json").string(), "--dry-run",
                                "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json plan = json::parse(r.out);
    EXPECT_FALSE(plan.dump().find("override '") != std::string::npos);  // no pattern matched any tensor
    // A pattern RE2 cannot run in linear time (a backreference) is one error naming the config's field.
    write(tmp / "b.json", R"({"decoder": "int8", "overrides": {"(layers)\\.\\1": "int4"}})");
    const auto b = dry_run(tmp / "b.json");
    EXPECT_EQ(b.exit_code, 1) << b.err;
    EXPECT_EQ(b.err.rfind("vlmq: error: " + (tmp / "b.json").string() + ": 'overrides': invalid regular expression '(layers)\\.\\1': ", 0), 0u)
        << b.err;
}

TEST(CliBoundedInputs, ImagesClaimingHugeSizes) {
    test::TempDir tmp;
    auto be32 = [](uint32_t v) { return std::string{char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)}; };
    write(tmp / "huge.png", std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(16384) + be32(16384) +
                                std::string("\x08\x02\0\0\0", 5) + be32(0));
    std::string gif = "GIF89a";
    gif += std::string{char(0x00), char(0x40), char(0x00), char(0x40)};  // 16384 x 16384, little-endian
    gif += std::string(3, '\0');
    write(tmp / "huge.gif", gif);
    for (const char* f : {"huge.png", "huge.gif"}) {
        const auto r = run_bounded({"run", "--model", model(), "--image", (tmp / f).string(), "--prompt", "hi"});
        expect_exact_error(r, (tmp / f).string() + ": cannot decode image: 16384x16384 = 268435456 pixels exceeds "
                                                      "the 67108864 pixel limit");
    }
}

TEST(CliBoundedInputs, FifosAndDevicesInPlaceOfInputs) {
    test::TempDir tmp;
    const fs::path fifo = tmp / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const std::string is_fifo = ": is a FIFO (named pipe), expected a regular file";
    const std::string is_dev = "/dev/zero: is a character device, expected a regular file";
    expect_exact_error(dry_run(fifo), fifo.string() + is_fifo);
    expect_exact_error(dry_run("/dev/zero"), is_dev);
    for (const std::string& img : {fifo.string(), std::string("/dev/zero")}) {
        const auto r = run_bounded({"run", "--model", model(), "--image", img, "--prompt", "hi"});
        expect_exact_error(r, img + ": cannot decode image" + (img == "/dev/zero" ? is_dev.substr(9) : is_fifo));
    }
    // A model directory whose config.json is a FIFO, and one whose weights are /dev/zero.
    const fs::path m1 = tmp / "m1", m2 = tmp / "m2";
    fs::create_directories(m1);
    ASSERT_EQ(::mkfifo((m1 / "config.json").c_str(), 0600), 0);
    expect_exact_error(run_bounded({"inspect", m1.string()}), (m1 / "config.json").string() + is_fifo);
    fs::create_directories(m2);
    fs::copy_file(test::tiny_model_dir() / "config.json", m2 / "config.json");
    fs::create_symlink("/dev/zero", m2 / "model.safetensors");
    expect_exact_error(run_bounded({"inspect", m2.string()}),
                          (m2 / "model.safetensors").string() + ": is a character device, expected a regular file");
}

TEST(CliBoundedInputs, DatasetImagesOutsideTheDataFolder) {
    test::TempDir tmp;
    write(tmp / "outside.png", slurp(image()));
    const fs::path data = tmp / "data";
    const fs::path q = data / "questions.jsonl";
    write(q, R"({"question_id": 3, "image": "../outside.png", "text": "What shape?"})");
    const std::string real = fs::weakly_canonical(tmp / "outside.png").string();
    const auto r = run_bounded({"eval", "--model", model(), "--data", q.string()});
    expect_exact_error(r, q.string() + ": question_id 3: image '" + (tmp / "outside.png").string() + "' resolves to '" +
                                 real + "', outside the image folder '" + fs::weakly_canonical(data).string() +
                                 "' (allow with --allow-outside-data)");
    const auto allowed = run_bounded({"eval", "--model", model(), "--data", q.string(), "--allow-outside-data", "--json"});
    EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
    // The same for quantize's calibration data (prefixed flag).
    write(tmp / "q.json", R"({"decoder": "int8"})");
    const auto c = run_bounded({"quantize", "--model", model(), "--config", (tmp / "q.json").string(), "--calib",
                                q.string(), "--out", (tmp / "pkg").string()});
    EXPECT_EQ(c.exit_code, 1) << c.err;
    EXPECT_NE(c.err.find("question_id 3: image '" + (tmp / "outside.png").string() + "' resolves to"), std::string::npos)
        << c.err;
    EXPECT_FALSE(fs::exists(tmp / "pkg"));
}

}  // namespace
}  // namespace vlmq
