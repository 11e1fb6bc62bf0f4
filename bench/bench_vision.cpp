// Vision tower forward time (FastViTHD shapes, fp32 activations, bf16 weights) at 1 and 2 threads, plus the
// hot vision kernels (scalar vs AVX2). Weights: the checkpoint in $VLMQ_BENCH_MODEL when set, else random bf16
// tensors of FastViTHD shapes held in memory. $VLMQ_BENCH_IMAGE_SIZE overrides the input side (default: the
// config's, 1024 for FastViTHD). Reported GFLOP/s counts 2 flops per multiply-accumulate (VisionConfig::macs).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arch/fastvlm_names.h"
#include "core/half.h"
#include "kernels/activations.h"
#include "kernels/conv.h"
#include "core/cpu_features.h"
#include "model/vision_tower.h"

using namespace vlmq;

namespace {

uint64_t next_random(uint64_t& state) {  // splitmix64
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

float uniform(uint64_t& state, float lo, float hi) { return lo + (hi - lo) * float(next_random(state) >> 40) / float(1 << 24); }

// Random bf16 weights for every tensor of a vision tower, scaled so activations stay in a normal range.
class RandomVisionWeights final : public package::WeightSource {
public:
    explicit RandomVisionWeights(const model::VisionConfig& cfg) : dir_("<random FastViTHD weights>") {
        config_ = json{{"mm_vision_tower", "mobileclip_l_" + std::to_string(cfg.image_size)}};
        uint64_t state = 42;
        for (const model::VisionTensor& t : model::vision_tensors(cfg)) {
            int64_t numel = 1;
            for (int64_t d : t.shape) numel *= d;
            const int64_t fan_in = numel / t.shape[0];
            float lo = -1.0f / std::sqrt(float(fan_in)), hi = -lo;
            auto ends = [&](const char* s) { return t.name.ends_with(s); };
            if (ends("running_var") || ends("bn.weight") || ends("norm.weight")) lo = 0.5f, hi = 1.5f;
            else if (ends("running_mean") || ends(".bias")) lo = -0.05f, hi = 0.05f;
            else if (t.name.find("layer_scale") != std::string::npos) lo = 0.0f, hi = 0.1f;
            std::vector<uint16_t> data(static_cast<size_t>(numel));
            for (auto& v : data) v = f32_to_bf16(uniform(state, lo, hi));
            tensors_[arch::fastvlm::vision_name(t.name)] = {t.shape, std::move(data)};
        }
    }
    const json& config() const override { return config_; }
    const std::filesystem::path& dir() const override { return dir_; }
    std::vector<std::string> names() const override {
        std::vector<std::string> n;
        for (const auto& [name, t] : tensors_) n.push_back(name);
        return n;
    }
    std::optional<package::Weight> find(const std::string& name) const override {
        auto it = tensors_.find(name);
        if (it == tensors_.end()) return std::nullopt;
        package::Weight w;
        w.name = name;
        w.shape = it->second.shape;
        w.mat.fmt = qformat::Format::bf16();
        w.mat.rows = w.shape[0];
        w.mat.cols = int64_t(it->second.data.size()) / w.mat.rows;
        w.mat.data = it->second.data.data();
        return w;
    }

private:
    struct Tensor {
        std::vector<int64_t> shape;
        std::vector<uint16_t> data;
    };
    json config_;
    std::filesystem::path dir_;
    std::map<std::string, Tensor> tensors_;
};

struct Setup {
    std::unique_ptr<package::WeightSource> ws;
    std::unique_ptr<model::VisionTower> tower;
    std::vector<float> pixels;
    std::string label;
};

Setup make_setup() {
    Setup s;
    model::VisionConfig cfg = model::VisionConfig::fastvithd();
    if (const char* dir = std::getenv("VLMQ_BENCH_MODEL"); dir && *dir) {
        s.ws = package::open_weights(dir);
        cfg = model::VisionConfig::from_model_config(s.ws->config());
        s.label = std::string("model:") + dir;
    }
    if (const char* size = std::getenv("VLMQ_BENCH_IMAGE_SIZE"); size && *size) cfg.image_size = std::atoi(size);
    if (!s.ws) {
        s.ws = std::make_unique<RandomVisionWeights>(cfg);
        s.label = "random-fastvithd";
    }
    s.tower = std::make_unique<model::VisionTower>(*s.ws, cfg);
    uint64_t state = 7;
    s.pixels.resize(size_t(3) * cfg.image_size * cfg.image_size);
    for (auto& p : s.pixels) p = uniform(state, 0.0f, 1.0f);
    s.label += "/" + std::to_string(cfg.image_size) + "px";
    return s;
}

void bench_tower(benchmark::State& state, const Setup* s, int threads) {
    ThreadPool pool(threads);
    Compute c;
    c.pool = &pool;
    for (auto _ : state) benchmark::DoNotOptimize(s->tower->forward(c, s->pixels.data()).data());
    state.counters["GFLOP/s"] =
        benchmark::Counter(2.0 * s->tower->config().macs() / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// Stage-0 ConvFFN depthwise 7x7 on 256x256x96 (FastViTHD at 1024 px).
void bench_dwconv7(benchmark::State& state, bool reference) {
    const kernels::DepthwiseShape s{256, 256, 96, 7, 1, 1};
    std::vector<float> x(size_t(s.h * s.w * s.c_in), 0.5f), w(size_t(49 * s.c_out()), 0.01f), y(x.size());
    Compute c;
    c.reference = reference;
    for (auto _ : state) kernels::depthwise_conv_hwc(c, s, x.data(), w.data(), nullptr, y.data());
    state.counters["GFLOP/s"] =
        benchmark::Counter(2.0 * double(y.size()) * 49 / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// GELU on the stage-0 ConvFFN hidden activation (256*256*384 values).
void bench_gelu(benchmark::State& state, bool reference) {
    std::vector<float> x(size_t(256) * 256 * 384);
    uint64_t st = 3;
    for (auto& v : x) v = uniform(st, -4.0f, 4.0f);
    Compute c;
    c.reference = reference;
    std::vector<float> work(x.size());
    for (auto _ : state) {
        state.PauseTiming();
        std::memcpy(work.data(), x.data(), x.size() * sizeof(float));
        state.ResumeTiming();
        kernels::gelu(c, work.data(), int64_t(work.size()));
    }
    state.counters["Gelem/s"] = benchmark::Counter(double(x.size()) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    const Setup setup = make_setup();
    for (int threads : {1, 2})
        benchmark::RegisterBenchmark(("vision_tower/" + setup.label + "/threads:" + std::to_string(threads)).c_str(),
                                     bench_tower, &setup, threads)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->Iterations(1);
    for (bool ref : {true, false}) {
        if (!ref && !cpu_has_avx2()) continue;
        const std::string tier = ref ? "ref" : "avx2";
        benchmark::RegisterBenchmark(("dwconv7x7_256x256x96/" + tier).c_str(), bench_dwconv7, ref)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
        benchmark::RegisterBenchmark(("gelu_25M/" + tier).c_str(), bench_gelu, ref)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
