// Single-thread throughput of the weight kernels: RTN quantization, dequantization, GEMV (decode) and
// fp32 GEMM (prefill). Bytes/s follow ggml's test-quantize-perf: quantize counts fp32 (or bf16) input
// bytes, dequantize and GEMV count "fp32-equivalent" bytes (4 x weights). See bench/README.md.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "core/half.h"
#include "kernels/linear.h"
#include "qformat/dequant.h"
#include "qformat/format.h"
#include "rounding/rtn.h"

using namespace vlmq;
using qformat::Format;
using qformat::QMatrixBuffer;

namespace {

std::vector<float> gaussian(size_t n, float scale) {
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

std::vector<uint16_t> to_bf16(const std::vector<float>& v) {
    std::vector<uint16_t> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) out[i] = f32_to_bf16(v[i]);
    return out;
}

QMatrixBuffer weights(const char* fmt, int64_t N, int64_t K) {
    const auto w = gaussian(size_t(N * K), 0.02f);
    QMatrixBuffer q(*Format::parse(fmt), N, K);
    rounding::quantize_rtn({}, w.data(), DType::F32, q.mut());
    return q;
}

void BM_QuantizeRtn(benchmark::State& st, const char* fmt, DType src_dtype) {
    const int64_t N = 1024, K = 1024;
    const auto w = gaussian(size_t(N * K), 0.02f);
    const auto wb = to_bf16(w);
    const void* src = src_dtype == DType::F32 ? static_cast<const void*>(w.data()) : wb.data();
    QMatrixBuffer q(*Format::parse(fmt), N, K);
    for (auto _ : st) {
        rounding::quantize_rtn({}, src, src_dtype, q.mut());
        benchmark::DoNotOptimize(q.data.data());
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * N * K * int64_t(dtype_size(src_dtype)));
}

void BM_Dequantize(benchmark::State& st, const char* fmt) {
    const int64_t N = 1024, K = 1024;
    const QMatrixBuffer q = weights(fmt, N, K);
    std::vector<float> out(size_t(N * K));
    for (auto _ : st) {
        qformat::dequantize_rows({}, q.view(), 0, N, out.data());
        benchmark::DoNotOptimize(out.data());
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * N * K * 4);
}

void BM_Gemv(benchmark::State& st, const char* fmt, bool int8_acts) {
    const int64_t N = st.range(0), K = st.range(0);
    const QMatrixBuffer q = weights(fmt, N, K);
    const auto x = gaussian(size_t(K), 1.0f);
    std::vector<float> y(static_cast<size_t>(N));
    Compute c;
    c.int8_activations = int8_acts;
    for (auto _ : st) {
        kernels::linear(c, x.data(), 1, q.view(), nullptr, y.data());
        benchmark::DoNotOptimize(y.data());
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * N * K * 4);  // fp32-equivalent
}

void BM_Gemm(benchmark::State& st, const char* fmt) {
    const int64_t M = st.range(0), N = st.range(1), K = st.range(2);
    const QMatrixBuffer q = weights(fmt, N, K);
    const auto x = gaussian(size_t(M * K), 1.0f);
    std::vector<float> y(size_t(M * N));
    for (auto _ : st) {
        kernels::linear({}, x.data(), M, q.view(), nullptr, y.data());
        benchmark::DoNotOptimize(y.data());
    }
    st.counters["FLOPS"] = benchmark::Counter(double(2 * M * N * K), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MatmulNt(benchmark::State& st) {
    const int64_t M = st.range(0), N = st.range(1), K = st.range(2);
    const auto a = gaussian(size_t(M * K), 1.0f), b = gaussian(size_t(N * K), 1.0f);
    std::vector<float> y(size_t(M * N));
    for (auto _ : st) {
        kernels::matmul_f32_nt({}, a.data(), K, b.data(), K, y.data(), N, M, N, K);
        benchmark::DoNotOptimize(y.data());
    }
    st.counters["FLOPS"] = benchmark::Counter(double(2 * M * N * K), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK_CAPTURE(BM_QuantizeRtn, int4_g32_sym_f32, "int4_g32_sym", DType::F32);
BENCHMARK_CAPTURE(BM_QuantizeRtn, int4_g32_sym_bf16, "int4_g32_sym", DType::BF16);
BENCHMARK_CAPTURE(BM_QuantizeRtn, int4_g32_aff_f32, "int4_g32_aff", DType::F32);
BENCHMARK_CAPTURE(BM_QuantizeRtn, int4_g32_aff_bf16, "int4_g32_aff", DType::BF16);
BENCHMARK_CAPTURE(BM_QuantizeRtn, int8_row_sym_f32, "int8_row_sym", DType::F32);
BENCHMARK_CAPTURE(BM_QuantizeRtn, int8_row_sym_bf16, "int8_row_sym", DType::BF16);
BENCHMARK_CAPTURE(BM_QuantizeRtn, int8_g32_sym_f32, "int8_g32_sym", DType::F32);
BENCHMARK_CAPTURE(BM_QuantizeRtn, int8_g32_sym_bf16, "int8_g32_sym", DType::BF16);

BENCHMARK_CAPTURE(BM_Dequantize, int4_g32_sym, "int4_g32_sym");
BENCHMARK_CAPTURE(BM_Dequantize, int4_g32_aff, "int4_g32_aff");
BENCHMARK_CAPTURE(BM_Dequantize, int8_row_sym, "int8_row_sym");
BENCHMARK_CAPTURE(BM_Dequantize, bf16, "bf16");

BENCHMARK_CAPTURE(BM_Gemv, int4_g32_sym, "int4_g32_sym", true)->Arg(1024)->Arg(4096);
BENCHMARK_CAPTURE(BM_Gemv, int4_g32_aff, "int4_g32_aff", true)->Arg(1024)->Arg(4096);
BENCHMARK_CAPTURE(BM_Gemv, int8_row_sym, "int8_row_sym", true)->Arg(1024)->Arg(4096);
BENCHMARK_CAPTURE(BM_Gemv, int8_g32_sym, "int8_g32_sym", true)->Arg(1024)->Arg(4096);
BENCHMARK_CAPTURE(BM_Gemv, int4_g32_sym_fp32acts, "int4_g32_sym", false)->Arg(1024)->Arg(4096);
BENCHMARK_CAPTURE(BM_Gemv, bf16, "bf16", true)->Arg(1024)->Arg(4096);
BENCHMARK_CAPTURE(BM_Gemv, f32, "f32", true)->Arg(1024)->Arg(4096);

BENCHMARK_CAPTURE(BM_Gemm, f32, "f32")->Args({1024, 768, 768})->Args({4096, 384, 96});
BENCHMARK_CAPTURE(BM_Gemm, bf16, "bf16")->Args({1024, 768, 768});
BENCHMARK_CAPTURE(BM_Gemm, int4_g32_sym, "int4_g32_sym")->Args({1024, 768, 768});
BENCHMARK(BM_MatmulNt)->Args({256, 256, 64})->Args({1024, 1024, 64});

BENCHMARK_MAIN();
