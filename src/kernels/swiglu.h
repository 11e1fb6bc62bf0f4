#pragma once
// The gated activation of Qwen2's MLP: gate = silu(gate) * up, silu(x) = x / (1 + e^-x), fp32.
#include <cstdint>

#include "core/compute.h"

namespace vlmq::kernels {

// gate, up: n contiguous values; the result replaces gate.
void swiglu(const Compute& c, float* gate, const float* up, int64_t n);
void swiglu_ref(float* gate, const float* up, int64_t n);
void swiglu_avx2(float* gate, const float* up, int64_t n);

}  // namespace vlmq::kernels
