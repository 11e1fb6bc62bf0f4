// FastVLM generation on CPU: image encoding (tower + projector), prefill of image tokens + 30-token question,
// and cached decode steps, at 1 thread and all threads. Prefill and decode use stand-in image features, so they
// can be run without the (slow) tower: --benchmark_filter='prefill|decode'. Models: the bundled tiny model, plus the checkpoint or package directory in
// $VLMQ_BENCH_MODEL when set.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "model/fastvlm.h"
#include "model/sampling.h"

using namespace vlmq;

namespace {

constexpr int kQuestionTokens = 30;
constexpr int kDecodeSteps = 32;

struct Setup {
    std::string label;
    std::shared_ptr<model::FastVLM> model;
    std::vector<float> pixels;
    std::vector<float> features;      // stand-in projected image tokens (timing does not depend on the values)
    std::vector<int64_t> prompt_ids;  // chat template + image + kQuestionTokens question tokens
};

Setup make_setup(const std::string& label, const std::string& dir) {
    Setup s;
    s.label = label;
    s.model = std::make_shared<model::FastVLM>(dir);
    const int64_t side = s.model->image_size();
    s.pixels.resize(size_t(3 * side * side));
    for (size_t i = 0; i < s.pixels.size(); ++i) s.pixels[i] = float((i * 2654435761u) % 1000u) / 1000.0f;
    s.features.resize(size_t(s.model->image_tokens() * s.model->hidden()));
    for (size_t i = 0; i < s.features.size(); ++i) s.features[i] = float(int((i * 40503u) % 2001u) - 1000) / 1000.0f;
    // Question ids are arbitrary ordinary tokens (the synthetic checkpoints' tokenizers make real text useless).
    s.prompt_ids = s.model->tokenize_question("");
    const auto at = std::find(s.prompt_ids.begin(), s.prompt_ids.end(), int64_t(-200)) + 1;
    std::vector<int64_t> question;
    for (int i = 0; i < kQuestionTokens; ++i) question.push_back(int64_t(10 + (i * 37) % 300) % s.model->vocab_limit());
    s.prompt_ids.insert(at, question.begin(), question.end());
    return s;
}

struct Threads {
    std::unique_ptr<ThreadPool> pool;
    Compute compute;
    explicit Threads(int n) : pool(std::make_unique<ThreadPool>(n)) { compute.pool = pool.get(); }
};

void bench_encode(benchmark::State& state, const Setup& s, int threads) {
    Threads t(threads);
    for (auto _ : state) benchmark::DoNotOptimize(s.model->encode_image(t.compute, s.pixels.data()));
}

void bench_prefill(benchmark::State& state, const Setup& s, int threads) {
    Threads t(threads);
    int64_t positions = 0;
    for (auto _ : state) {
        model::KvCache cache = s.model->new_cache();
        benchmark::DoNotOptimize(s.model->prefill(t.compute, cache, s.prompt_ids, s.features.data()));
        positions = cache.length();
    }
    state.counters["prompt_tokens"] = double(positions);
    state.counters["tokens/s"] = benchmark::Counter(double(positions), benchmark::Counter::kIsIterationInvariantRate);
}

void bench_decode(benchmark::State& state, const Setup& s, int threads) {
    Threads t(threads);
    model::KvCache cache = s.model->new_cache();
    const auto first = s.model->prefill(t.compute, cache, s.prompt_ids, s.features.data());
    const int64_t prompt_len = cache.length(), H = s.model->hidden();
    std::vector<float> embed(static_cast<size_t>(H));
    for (auto _ : state) {
        cache.truncate(prompt_len);
        int32_t next = model::argmax(first.data(), s.model->vocab_limit());
        for (int i = 0; i < kDecodeSteps; ++i) {
            s.model->llm().embed(t.compute, std::span<const int32_t>(&next, 1), embed.data());
            const auto logits = s.model->llm().forward(t.compute, cache, embed.data(), 1, 0);
            next = model::argmax(logits.data(), s.model->vocab_limit());
        }
    }
    state.counters["context"] = double(prompt_len);
    state.counters["tokens/s"] = benchmark::Counter(double(kDecodeSteps), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    std::vector<Setup> setups;
    setups.push_back(make_setup("tiny", std::string(VLMQ_TEST_DATA) + "/tiny-fastvlm-a/model"));
    if (const char* dir = std::getenv("VLMQ_BENCH_MODEL"); dir && *dir) setups.push_back(make_setup("env", dir));
    const int all = int(std::max(1u, std::thread::hardware_concurrency()));
    std::vector<int> thread_counts{1};
    if (all > 1) thread_counts.push_back(all);
    for (const Setup& s : setups)
        for (int threads : thread_counts) {
            const std::string suffix = "/" + s.label + "/threads:" + std::to_string(threads);
            benchmark::RegisterBenchmark(("image_encode" + suffix).c_str(), bench_encode, s, threads)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
            benchmark::RegisterBenchmark(("prefill" + suffix).c_str(), bench_prefill, s, threads)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
            benchmark::RegisterBenchmark(("decode_32" + suffix).c_str(), bench_decode, s, threads)
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
        }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
