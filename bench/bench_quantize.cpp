// Whole-model quantization of a full-size FastVLM-0.5B-shaped checkpoint with the ADR config, as a user runs
// it (`vlmq quantize` in a child process): wall time, GB/s of bf16 input, peak RSS, package size.
// The checkpoint comes from VLMQ_BENCH_MODEL, else `vlmq synth --preset fastvlm-0.5b` into a cache directory.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct ChildStats {
    double seconds = 0;
    long max_rss_kb = 0;
    int status = 0;
};

ChildStats run(const std::vector<std::string>& args) {
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        freopen("/dev/null", "w", stdout);
        execv(argv[0], argv.data());
        _exit(127);
    }
    ChildStats s;
    struct rusage ru {};
    wait4(pid, &s.status, 0, &ru);
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    s.max_rss_kb = ru.ru_maxrss;
    return s;
}

fs::path model_dir() {
    if (const char* m = std::getenv("VLMQ_BENCH_MODEL")) return m;
    const fs::path dir = fs::temp_directory_path() / "vlmq-bench-fastvlm-0.5b";
    if (!fs::exists(dir / "model.safetensors")) run({VLMQ_BIN, "synth", "--preset", "fastvlm-0.5b", "--out", dir.string()});
    return dir;
}

uint64_t dir_bytes(const fs::path& d, const std::string& ext = "") {
    uint64_t n = 0;
    for (const auto& e : fs::directory_iterator(d))
        if (e.is_regular_file() && (ext.empty() || e.path().extension() == ext)) n += e.file_size();
    return n;
}

void BM_QuantizeAdr(benchmark::State& state) {
    const fs::path model = model_dir();
    const fs::path out = fs::temp_directory_path() / "vlmq-bench-adr.vlmq";
    const std::string config = fs::path(VLMQ_TEST_DATA).parent_path().parent_path() / "configs" / "adr-001.json";
    const uint64_t input = dir_bytes(model, ".safetensors");
    // Warm the page cache once so every iteration reads the checkpoint from memory, as after `synth`.
    run({"/bin/cat", (model / "model.safetensors").string()});
    ChildStats last;
    for (auto _ : state) {
        last = run({VLMQ_BIN, "--threads", std::to_string(state.range(0)), "quantize", "--model", model.string(),
                    "--config", config, "--out", out.string(), "--json"});
        if (last.status != 0) state.SkipWithError("vlmq quantize failed");
        state.SetIterationTime(last.seconds);
    }
    state.counters["input_GB_per_s"] = double(input) / 1e9 / last.seconds;
    state.counters["peak_rss_MB"] = double(last.max_rss_kb) / 1024.0;
    state.counters["checkpoint_MB"] = double(input) / 1e6;
    state.counters["package_MB"] = double(dir_bytes(out)) / 1e6;
    fs::remove_all(out);
}
BENCHMARK(BM_QuantizeAdr)->Arg(1)->Arg(2)->UseManualTime()->Unit(benchmark::kSecond)->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
