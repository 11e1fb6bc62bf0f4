#pragma once
// What every kernel call needs besides its operands: the thread pool and the kernel tier.
#include "core/thread_pool.h"

namespace vlmq::kernels {

struct Compute {
    ThreadPool* pool = nullptr;
    // Use the scalar reference kernels everywhere (`--kernels ref`); otherwise the best the CPU has.
    bool reference = false;
    // Int weights: quantize activations to int8 per 32-block and use integer dot products (as ggml
    // does). Off = dequantize weights and accumulate in fp32 against fp32 activations.
    bool int8_activations = true;
};

}  // namespace vlmq::kernels
