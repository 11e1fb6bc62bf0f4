// Calibration and validation throughput (samples/s) — the cost of the progressive loop's two inner steps —
// on the bundled tiny model, or on $VLMQ_BENCH_MODEL with the bundled shapes data (images are resized to the
// model's input size).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

#include "pipeline/calibrate.h"
#include "core/thread_pool.h"
#include "eval/dataset.h"
#include "eval/prepared.h"
#include "eval/vlm_eval.h"
#include "model/fastvlm.h"

namespace {

std::string model_dir() {
    const char* m = std::getenv("VLMQ_BENCH_MODEL");
    return m ? m : std::string(VLMQ_TEST_DATA) + "/tiny-fastvlm-a/model";
}

vlmq::eval::VqaDataset samples(const std::string& split, size_t n) {
    vlmq::eval::DatasetSpec spec;
    spec.path = std::string(VLMQ_TEST_DATA) + "/tiny-fastvlm-a/data/" + split;
    return vlmq::eval::select_samples(vlmq::eval::load_dataset(spec), n, 0);
}

void BM_Calibrate(benchmark::State& state) {
    vlmq::ThreadPool pool(int(state.range(0)));
    vlmq::Compute c;
    c.pool = &pool;
    const vlmq::model::FastVLM model(model_dir());
    const size_t n = std::getenv("VLMQ_BENCH_MODEL") ? 2 : 50;
    const auto data = samples("calib", n);
    for (auto _ : state) benchmark::DoNotOptimize(vlmq::pipeline::collect_stats(model, data, c, {}, false));
    state.counters["samples_per_s"] =
        benchmark::Counter(double(n) * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Calibrate)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Validate(benchmark::State& state) {
    vlmq::ThreadPool pool(int(state.range(0)));
    vlmq::Compute c;
    c.pool = &pool;
    const vlmq::model::FastVLM model(model_dir());
    const size_t n = std::getenv("VLMQ_BENCH_MODEL") ? 2 : 50;
    const auto data = samples("val", n);
    const auto prepared = vlmq::eval::prepare_samples(model, data, c, false);
    vlmq::eval::EvalOptions o;
    o.progress = false;
    o.record_logits = true;
    const auto reference = vlmq::eval::run_model(model, prepared, nullptr, c, o);
    o.record_logits = false;
    for (auto _ : state) benchmark::DoNotOptimize(vlmq::eval::run_model(model, prepared, &reference.record, c, o));
    state.counters["samples_per_s"] =
        benchmark::Counter(double(n) * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Validate)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
