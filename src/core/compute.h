#pragma once
// What every kernel call needs besides its operands: the thread pool and the kernel tier.
#include "core/thread_pool.h"
#include "core/cpu_features.h"

namespace vlmq {

struct Compute {
    ThreadPool* pool = nullptr;
    // Use the scalar reference kernels everywhere (`--kernels ref`); otherwise the best the CPU has.
    bool reference = false;
    // Int weights: quantize activations to int8 per 32-block and use integer dot products (as ggml
    // does). Off = dequantize weights and accumulate in fp32 against fp32 activations.
    bool int8_activations = true;
};

// The AVX2 kernels apply: not forced to the scalar reference, and the CPU has them (never on non-x86 builds).
inline bool use_avx2(const Compute& c) { return !c.reference && cpu_has_avx2(); }

}  // namespace vlmq
