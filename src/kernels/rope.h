#pragma once
// Rotary position embedding in the rotate-half (GPT-NeoX, transformers Qwen2) pairing: dims i and
// i + d/2 of each head rotate by angle pos * theta^(-2i/d).
#include <cstdint>
#include <vector>

#include "core/compute.h"

namespace vlmq::kernels {

// cos/sin of the angles for positions pos0 .. pos0 + rows - 1, each [rows, head_dim / 2]. Computed as
// transformers does in fp32: inv_freq = 1 / theta^(2i/d), angle = float(pos) * inv_freq.
struct RopeAngles {
    int64_t pos0 = 0, rows = 0, half = 0;
    std::vector<float> cos, sin;
};
RopeAngles rope_angles(int64_t pos0, int64_t rows, int64_t head_dim, double theta);

// x: [rows, heads * head_dim] with row stride ld, rotated in place with angles row r (of a.rows).
void rope(const Compute& c, float* x, int64_t rows, int64_t heads, int64_t head_dim, int64_t ld, const RopeAngles& a);
void rope_ref(float* x, int64_t rows, int64_t heads, int64_t head_dim, int64_t ld, const float* cos, const float* sin);
void rope_avx2(float* x, int64_t rows, int64_t heads, int64_t head_dim, int64_t ld, const float* cos,
               const float* sin);

}  // namespace vlmq::kernels
