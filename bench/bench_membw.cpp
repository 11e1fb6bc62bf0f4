// Memory read bandwidth (the bound for decode, which streams every weight once per token): sums a buffer much
// larger than the caches, on 1 and 2 threads, with and without software prefetch 2 KiB ahead (the decode
// kernels prefetch, so the bound is the faster of the two).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <numeric>
#include <thread>
#include <vector>

namespace {

void BM_ReadBandwidth(benchmark::State& state) {
    const size_t bytes = size_t(1) << 30;  // 1 GiB
    const int threads = int(state.range(0));
    const bool prefetch = state.range(1) != 0;
    std::vector<uint64_t> buf(bytes / 8);
    std::iota(buf.begin(), buf.end(), 0);
    uint64_t sink = 0;
    for (auto _ : state) {
        std::vector<uint64_t> sums(size_t(threads), 0);
        std::vector<std::thread> pool;
        const size_t per = buf.size() / size_t(threads);
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                uint64_t a = 0, b = 0, c = 0, d = 0;
                const uint64_t* p = buf.data() + size_t(t) * per;
                for (size_t i = 0; i + 4 <= per; i += 4) {
                    if (prefetch && (i & 7) == 0) __builtin_prefetch(p + i + 256);
                    a += p[i];
                    b += p[i + 1];
                    c += p[i + 2];
                    d += p[i + 3];
                }
                sums[size_t(t)] = a + b + c + d;
            });
        for (auto& th : pool) th.join();
        for (auto s : sums) sink += s;
    }
    benchmark::DoNotOptimize(sink);
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes));
}
BENCHMARK(BM_ReadBandwidth)
    ->ArgNames({"threads", "prefetch"})
    ->ArgsProduct({{1, 2}, {0, 1}})
    ->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
