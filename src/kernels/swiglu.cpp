#include "kernels/swiglu.h"

#include <cmath>


namespace vlmq::kernels {

void swiglu_ref(float* gate, const float* up, int64_t n) {
    for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void swiglu(const Compute& c, float* gate, const float* up, int64_t n) {
    for_row_ranges(
        c, n, 1 << 14, [&](int64_t i0, int64_t i1) { swiglu_ref(gate + i0, up + i0, i1 - i0); },
        [&](int64_t i0, int64_t i1) { swiglu_avx2(gate + i0, up + i0, i1 - i0); });
}

}  // namespace vlmq::kernels
