#pragma once
// What every kernel call needs besides its operands: the thread pool and the kernel tier, and the one rule
// that picks a kernel's twin.
//
// Kernel twins. A SIMD kernel `foo` has a scalar twin `foo_ref` (foo.cpp; the definition of its output) and,
// per SIMD tier, a twin with the same signature, `foo_avx2` (foo_avx2.cpp, compiled with -mavx2 -mfma -mf16c;
// the build drops *_avx2.cpp on other CPUs). Both twins are declared, unconditionally, in foo's own header
// (namespace detail when only foo calls them). The dispatching function reaches them only through
// for_row_ranges or by_tier, so a build without a tier's files never references its twins.
// A new tier (Avx512, Neon): an enumerator, its test in tier_of, its branch in by_tier, and `foo_<tier>` twins.
#include <cstdint>

#include "core/cpu_features.h"
#include "core/thread_pool.h"

namespace vlmq {

struct Compute {
    ThreadPool* pool = nullptr;
    // Use the scalar reference kernels everywhere (`--kernels ref`); otherwise the best the CPU has.
    bool reference = false;
    // Int weights: quantize activations to int8 per 32-block and use integer dot products (W8A8-style, as
    // ggml does; `--int8-activations`). Off (the default) = dequantize weights and accumulate in fp32 against
    // fp32 activations: weight-only numerics, what the Core ML and MLX exports run, so validation and
    // evaluation measure what is deployed.
    bool int8_activations = false;
};

// The activation numerics of products with int weights, as reports and JSON outputs name them: "fp32"
// (weight-only, the default) or "int8".
inline const char* activations_name(const Compute& c) { return c.int8_activations ? "int8" : "fp32"; }

enum class KernelTier : uint8_t { Scalar, Avx2 };

#if defined(VLMQ_HAVE_AVX2)
inline constexpr bool kAvx2Compiled = true;
#else
inline constexpr bool kAvx2Compiled = false;
#endif

// The tier every kernel of a call runs at: Scalar when forced (`--kernels ref`), else the best the CPU has.
inline KernelTier tier_of(const Compute& c) {
    if (kAvx2Compiled && !c.reference && cpu_has_avx2()) return KernelTier::Avx2;
    return KernelTier::Scalar;
}

// avx2() on the Avx2 tier, ref() otherwise. avx2 is not instantiated on builds without AVX2 twins.
template <class Ref, class Avx2>
auto by_tier(KernelTier t, Ref&& ref, Avx2&& avx2) {
    if constexpr (kAvx2Compiled) {
        if (t == KernelTier::Avx2) return avx2();
    }
    return ref();
}

// Splits [0, n) over c.pool into ranges of at least `grain` and runs ref(i0, i1) or avx2(i0, i1) on each,
// by tier_of(c).
template <class Ref, class Avx2>
void for_row_ranges(const Compute& c, int64_t n, int64_t grain, Ref&& ref, Avx2&& avx2) {
    const KernelTier t = tier_of(c);
    parallel_for(c.pool, n, grain, [&](int64_t i0, int64_t i1) {
        by_tier(t, [&] { ref(i0, i1); }, [&] { avx2(i0, i1); });
    });
}

}  // namespace vlmq
