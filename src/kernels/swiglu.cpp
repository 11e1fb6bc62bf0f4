#include "kernels/swiglu.h"

#include <cmath>

#include "core/cpu_features.h"

namespace vlmq::kernels {

void swiglu_ref(float* gate, const float* up, int64_t n) {
    for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void swiglu(const Compute& c, float* gate, const float* up, int64_t n) {
#if defined(VLMQ_HAVE_AVX2)
    const bool simd = use_avx2(c);
#endif
    parallel_for(c.pool, n, 1 << 14, [&](int64_t i0, int64_t i1) {
#if defined(VLMQ_HAVE_AVX2)
        if (simd) return swiglu_avx2(gate + i0, up + i0, i1 - i0);
#endif
        swiglu_ref(gate + i0, up + i0, i1 - i0);
    });
}

}  // namespace vlmq::kernels
