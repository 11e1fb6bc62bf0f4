// The output rules (core/output_guard.h, core/staging.h) at library level: inputs are never outputs, an
// existing path is replaced only when vlmq wrote it (or --force), temp names cannot be redirected, and stale
// staging directories of dead processes are removed while those of live ones are kept.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "core/atomic_rename.h"
#include "core/error.h"
#include "core/fs_util.h"
#include "core/output_guard.h"
#include "core/staging.h"
#include "eval/results_io.h"
#include "io/output_kinds.h"
#include "io/safetensors.h"
#include "test_util.h"

namespace vlmq {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }
std::string read(const fs::path& p) { return read_text_file(p); }

const OutputKind kMlxLike = marked_directory_kind("a test export", "test-export");

// A process id that no process has: a child that has exited and been reaped.
pid_t dead_pid() {
    const pid_t pid = fork();
    if (pid == 0) _exit(0);
    int status = 0;
    waitpid(pid, &status, 0);
    return pid;
}

// A staging directory of process `pid` for `out`, as a killed run leaves it (with or without the marker).
fs::path plant_staging(const fs::path& out, const std::string& tag, long pid, bool marker,
                       const std::string& suffix = "abc123") {
    const fs::path dir = fmt::format("{}.{}-{}-{}", out.string(), tag, pid, suffix);
    fs::create_directories(dir / "half-written");
    write(dir / "half-written" / "model.safetensors", "partial");
    if (marker) write(dir / kStagingMarker, "vlmq staging\n");
    return dir;
}

// Everything next to `out` whose name starts with "<out>.": leftovers of staging.
std::vector<std::string> siblings(const fs::path& out) {
    std::vector<std::string> names;
    const std::string prefix = out.filename().string() + ".";
    for (const auto& e : fs::directory_iterator(out.parent_path()))
        if (e.path().filename().string().rfind(prefix, 0) == 0) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

TEST(OutputGuard, RefusesAnOutputThatIsContainsOrLiesInsideAnInput) {
    test::TempDir tmp;
    const fs::path model = tmp / "model";
    fs::create_directories(model);
    write(model / "config.json", "{}");
    const std::vector<InputPath> in{{"--model", model}};
    EXPECT_EQ(test::error_of([&] { check_output(model, kMlxLike, in, true); }),
              fmt::format("--out {} is the --model directory; choose another path", model.string()));
    EXPECT_EQ(test::error_of([&] { check_output(model / "x.vlmq", kMlxLike, in, true); }),
              fmt::format("--out {} lies inside the --model directory {}; choose another path",
                          (model / "x.vlmq").string(), model.string()));
    EXPECT_EQ(test::error_of([&] { check_output(tmp.path(), kMlxLike, in, true); }),
              fmt::format("--out {} contains the --model directory {}; choose another path", tmp.path().string(),
                          model.string()));
    // The same directory spelled differently: x/../x, a trailing slash, "./", a symbolic link to it.
    fs::create_directories(tmp / "sub");
    fs::create_directory_symlink(model, tmp / "link");
    for (const fs::path& alias : {tmp / "model" / ".." / "model", fs::path((tmp / "model").string() + "/"),
                                  tmp / "sub" / ".." / "model" / ".", tmp / "link"}) {
        const std::string e = test::error_of([&] { check_output(alias, kMlxLike, in, true); });
        EXPECT_NE(e.find("is the --model directory"), std::string::npos) << alias << ": " << e;
    }
    // An input given as a file or through a link is protected too.
    write(tmp / "cfg.json", "{\"a\": 1}");
    EXPECT_NE(test::error_of([&] { check_output(tmp / "cfg.json", kMlxLike, {{"--config", tmp / "cfg.json"}}, true); })
                  .find("is the --config file"),
              std::string::npos);
    EXPECT_NE(test::error_of([&] { check_output(tmp / "model", kMlxLike, {{"--model", tmp / "link"}}, false); })
                  .find("is the --model directory"),
              std::string::npos);
    EXPECT_EQ(read(model / "config.json"), "{}");
    EXPECT_EQ(read(tmp / "cfg.json"), "{\"a\": 1}");
    // Elsewhere in the same parent is fine.
    EXPECT_EQ(check_output(tmp / "model.vlmq", kMlxLike, in, false), tmp.path() / "model.vlmq");
}

TEST(OutputGuard, ReplacesOnlyEmptyOrRecognisedOutputsUnlessForced) {
    test::TempDir tmp;
    const fs::path user = tmp / "project";
    fs::create_directories(user);
    write(user / "notes.txt", "my notes");
    EXPECT_EQ(test::error_of([&] { check_output(user, kMlxLike, {}, false); }),
              fmt::format("--out {} exists and is not a test export written by vlmq; choose another path, or pass "
                          "--force to replace it",
                          user.string()));
    EXPECT_EQ(check_output(user, kMlxLike, {}, true), user);  // --force
    fs::create_directories(tmp / "empty");
    EXPECT_EQ(check_output(tmp / "empty", kMlxLike, {}, false), tmp / "empty");
    write(user / kOutputMarker, "test-export\n");
    EXPECT_EQ(check_output(user, kMlxLike, {}, false), user);  // recognised by its marker
    write(user / kOutputMarker, "other-kind\n");
    EXPECT_NE(test::error_of([&] { check_output(user, kMlxLike, {}, false); }), "");

    // Never a file by a directory or a directory by a file, not even with --force.
    write(tmp / "file.txt", "text");
    EXPECT_EQ(test::error_of([&] { check_output(tmp / "file.txt", kMlxLike, {}, true); }),
              fmt::format("--out {} is a file, and a test export is a directory; choose another path",
                          (tmp / "file.txt").string()));
    const OutputKind results = eval::vqa_results_output_kind();
    EXPECT_EQ(test::error_of([&] { check_output(user, results, {}, true); }),
              fmt::format("--out {} is a directory, and a VQAv2 results file is a file; choose another path",
                          user.string()));
    // A symbolic link or a FIFO at the path is refused (and the FIFO is never opened).
    fs::create_symlink(tmp / "file.txt", tmp / "link.json");
    EXPECT_NE(test::error_of([&] { check_output(tmp / "link.json", results, {}, true); }).find("is a symbolic link"),
              std::string::npos);
    ASSERT_EQ(mkfifo((tmp / "fifo.json").c_str(), 0600), 0);
    EXPECT_NE(test::error_of([&] { check_output(tmp / "fifo.json", results, {}, true); })
                  .find("is neither a regular file nor a directory"),
              std::string::npos);
    fs::create_directories(tmp / "trap");
    ASSERT_EQ(mkfifo((tmp / "trap" / kOutputMarker).c_str(), 0600), 0);
    EXPECT_NE(test::error_of([&] { check_output(tmp / "trap", kMlxLike, {}, false); }), "");
    EXPECT_EQ(read(tmp / "file.txt"), "text");
    EXPECT_EQ(read(user / "notes.txt"), "my notes");
    EXPECT_NE(test::error_of([&] { check_output(tmp / "missing" / "out", kMlxLike, {}, false); }).find("does not exist"),
              std::string::npos);
}

TEST(OutputGuard, ResultsFilesAreRecognisedByTheirExactLayout) {
    test::TempDir tmp;
    eval::write_vqa_results(tmp / "r.json", {{1, "two"}, {7, "cat"}});
    eval::write_vqa_results(tmp / "r.json", {{1, "three"}});  // a vlmq results file: replaced
    EXPECT_EQ(read(tmp / "r.json"), "[\n{\"question_id\":1,\"answer\":\"three\"}\n]\n");
    write(tmp / "theirs.json", R"([{"question_id": 1, "answer": "x"}])");  // the same content, another layout
    EXPECT_NE(test::error_of([&] { eval::write_vqa_results(tmp / "theirs.json", {{1, "y"}}); })
                  .find("is not a VQAv2 results file written by vlmq"),
              std::string::npos);
    EXPECT_EQ(read(tmp / "theirs.json"), R"([{"question_id": 1, "answer": "x"}])");
    eval::write_vqa_results(tmp / "theirs.json", {{1, "y"}}, true);
    EXPECT_EQ(read(tmp / "theirs.json"), "[\n{\"question_id\":1,\"answer\":\"y\"}\n]\n");
    EXPECT_EQ(siblings(tmp / "r.json"), std::vector<std::string>{});
    EXPECT_EQ(siblings(tmp / "theirs.json"), std::vector<std::string>{});
}

TEST(StagedOutput, CommitSwapsInTheNewOutputAndLeavesNothingBeside) {
    test::TempDir tmp;
    const fs::path out = tmp / "export";
    {
        StagedOutput s(out, kMlxLike);
        write(s.path() / "a.txt", "first");
        EXPECT_FALSE(fs::exists(out));
        s.commit();
    }
    EXPECT_EQ(read(out / "a.txt"), "first");
    EXPECT_EQ(read(out / kOutputMarker), "test-export\n");
    struct stat before {};
    ASSERT_EQ(stat(out.c_str(), &before), 0);
    {
        StagedOutput s(out, kMlxLike);  // recognised: replaced
        write(s.path() / "b.txt", "second");
        EXPECT_EQ(read(out / "a.txt"), "first");  // the old output stays until commit
        s.commit();
    }
    struct stat after {};
    ASSERT_EQ(stat(out.c_str(), &after), 0);
    EXPECT_NE(before.st_ino, after.st_ino);
    EXPECT_FALSE(fs::exists(out / "a.txt"));
    EXPECT_EQ(read(out / "b.txt"), "second");
    EXPECT_EQ(siblings(out), std::vector<std::string>{});
    // A failure before commit leaves the old output and no staging.
    try {
        StagedOutput s(out, kMlxLike);
        write(s.path() / "c.txt", "third");
        throw Error("disk full");
    } catch (const Error&) {
    }
    EXPECT_EQ(read(out / "b.txt"), "second");
    EXPECT_EQ(siblings(out), std::vector<std::string>{});
}

TEST(StagedOutput, RechecksAtCommitWhatAppearedMeanwhile) {
    test::TempDir tmp;
    const fs::path out = tmp / "export";
    StagedOutput s(out, kMlxLike);
    write(s.path() / "a.txt", "new");
    fs::create_directories(out);
    write(out / "precious.txt", "user data");  // created by someone else while vlmq was writing
    EXPECT_NE(test::error_of([&] { s.commit(); }).find("is not a test export written by vlmq"), std::string::npos);
    EXPECT_EQ(read(out / "precious.txt"), "user data");
}

TEST(AtomicRename, ExchangeSwapsAndNoReplaceRefuses) {
    test::TempDir tmp;
    fs::create_directories(tmp / "a");
    fs::create_directories(tmp / "b");
    write(tmp / "a" / "f", "A");
    write(tmp / "b" / "f", "B");
    const std::error_code ec = exchange_paths(tmp / "a", tmp / "b");
    if (ec != std::errc::operation_not_supported) {
        ASSERT_FALSE(ec) << ec.message();
        EXPECT_EQ(read(tmp / "a" / "f"), "B");
        EXPECT_EQ(read(tmp / "b" / "f"), "A");
    }
    EXPECT_EQ(rename_no_replace(tmp / "a", tmp / "b"), std::errc::file_exists);
    EXPECT_FALSE(rename_no_replace(tmp / "a", tmp / "c"));
    EXPECT_FALSE(fs::exists(tmp / "a"));
    EXPECT_TRUE(fs::exists(tmp / "c" / "f"));
}

// The names the writers used before (predictable "<out>.tmp-<pid>") planted as links to a victim: with the
// old writers the victim was truncated and overwritten; now a temp name is only ever created, never opened.
TEST(TempFiles, PlantedSymlinksAtTempNamesAreNeverFollowed) {
    test::TempDir tmp;
    write(tmp / "victim", "do not touch");
    const std::string pid = std::to_string(getpid());
    for (const char* name : {"f.json", "t.safetensors", "stats.safetensors", "r.json"})
        fs::create_symlink(tmp / "victim", tmp / (std::string(name) + ".tmp-" + pid));
    write_file_atomic(tmp / "f.json", "{}");
    io::write_safetensors(tmp / "t.safetensors", {}, {});
    eval::write_vqa_results(tmp / "r.json", {{1, "a"}});
    const TempFile t = create_temp_file(tmp / "f.json");
    ::close(t.fd);
    EXPECT_EQ(t.path.parent_path(), tmp.path());
    EXPECT_EQ(t.path.filename().string().rfind("f.json.tmp-" + pid + "-", 0), 0u) << t.path;
    EXPECT_EQ(read(tmp / "victim"), "do not touch");
    EXPECT_EQ(read(tmp / "f.json"), "{}");
    EXPECT_TRUE(fs::is_symlink(tmp / ("f.json.tmp-" + pid)));
    // A link at the output itself is refused rather than written through.
    fs::create_symlink(tmp / "victim", tmp / "out.json");
    EXPECT_NE(test::error_of([&] { eval::write_vqa_results(tmp / "out.json", {{1, "a"}}, true); })
                  .find("is a symbolic link"),
              std::string::npos);
    EXPECT_EQ(read(tmp / "victim"), "do not touch");
}

TEST(StaleStaging, RemovesOnlyMarkedDirectoriesOfDeadProcesses) {
    test::TempDir tmp;
    const fs::path out = tmp / "model.vlmq";
    const pid_t dead = dead_pid();
    const fs::path dead_tmp = plant_staging(out, "tmp", dead, true);
    const fs::path dead_cand = plant_staging(out, "candidates", dead, true);
    const fs::path unmarked = plant_staging(out, "tmp", dead, false, "nomark");
    const fs::path live = plant_staging(out, "tmp", 1, true);        // pid 1 (init) is alive
    const fs::path mine = plant_staging(out, "candidates", getpid(), true);
    const fs::path other = plant_staging(tmp / "other.vlmq", "tmp", dead, true);  // another output's
    // A link named like a dead staging directory, pointing at a marked directory: never followed.
    fs::create_directories(tmp / "victim");
    write(tmp / "victim" / kStagingMarker, "vlmq staging\n");
    write(tmp / "victim" / "data", "keep");
    fs::create_directory_symlink(tmp / "victim", tmp / fmt::format("model.vlmq.tmp-{}-link", dead));

    EXPECT_EQ(clean_stale_staging(out), 2);
    EXPECT_FALSE(fs::exists(dead_tmp));
    EXPECT_FALSE(fs::exists(dead_cand));
    EXPECT_TRUE(fs::exists(unmarked / "half-written" / "model.safetensors"));
    EXPECT_TRUE(fs::exists(live / "half-written" / "model.safetensors"));
    EXPECT_TRUE(fs::exists(mine));
    EXPECT_TRUE(fs::exists(other));
    EXPECT_EQ(read(tmp / "victim" / "data"), "keep");
    EXPECT_TRUE(fs::is_symlink(tmp / fmt::format("model.vlmq.tmp-{}-link", dead)));
}

TEST(StaleStaging, RestoresAnOutputMovedAsideByAKilledFallbackCommit) {
    test::TempDir tmp;
    const fs::path out = tmp / "export";
    const fs::path stale = plant_staging(out, "tmp", dead_pid(), true);
    fs::create_directories(stale / ".vlmq-previous");
    write(stale / ".vlmq-previous" / "a.txt", "old output");
    StagedOutput s(out, kMlxLike);  // cleaning first puts the old output back
    EXPECT_EQ(read(out / "a.txt"), "old output");
    EXPECT_FALSE(fs::exists(stale));
}

TEST(OutputKinds, SafetensorsFilesAreRecognisedByTheirFormat) {
    test::TempDir tmp;
    const OutputKind stats = io::safetensors_output_kind("a statistics file", "vlmq-calibration");
    io::write_safetensors(tmp / "s.safetensors", {}, {{"format", "vlmq-calibration"}});
    io::write_safetensors(tmp / "pt.safetensors", {}, {{"format", "pt"}});
    write(tmp / "junk.safetensors", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8));
    EXPECT_TRUE(stats.recognise(tmp / "s.safetensors"));
    EXPECT_FALSE(stats.recognise(tmp / "pt.safetensors"));
    EXPECT_FALSE(stats.recognise(tmp / "junk.safetensors"));
    EXPECT_FALSE(io::checkpoint_output_kind().recognise(tmp.path()));
}

}  // namespace
}  // namespace vlmq
