#include "kernels/rope.h"

#include <algorithm>
#include <cassert>
#include <cmath>


namespace vlmq::kernels {

RopeAngles rope_angles(int64_t pos0, int64_t rows, int64_t head_dim, double theta) {
    RopeAngles a;
    a.pos0 = pos0;
    a.rows = rows;
    a.half = head_dim / 2;
    std::vector<float> inv_freq(static_cast<size_t>(a.half));
    for (int64_t i = 0; i < a.half; ++i) {
        const float e = float(2 * i) / float(head_dim);
        inv_freq[size_t(i)] = 1.0f / std::pow(float(theta), e);
    }
    a.cos.resize(size_t(rows * a.half));
    a.sin.resize(size_t(rows * a.half));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < a.half; ++i) {
            const float angle = float(pos0 + r) * inv_freq[size_t(i)];
            a.cos[size_t(r * a.half + i)] = float(std::cos(double(angle)));
            a.sin[size_t(r * a.half + i)] = float(std::sin(double(angle)));
        }
    return a;
}

void rope_ref(float* x, int64_t rows, int64_t heads, int64_t head_dim, int64_t ld, const float* cos,
              const float* sin) {
    const int64_t half = head_dim / 2;
    for (int64_t r = 0; r < rows; ++r) {
        const float* cr = cos + r * half;
        const float* sr = sin + r * half;
        for (int64_t h = 0; h < heads; ++h) {
            float* v = x + r * ld + h * head_dim;
            for (int64_t i = 0; i < half; ++i) {
                const float x1 = v[i], x2 = v[i + half];
                v[i] = x1 * cr[i] - x2 * sr[i];
                v[i + half] = x2 * cr[i] + x1 * sr[i];
            }
        }
    }
}

void rope(const Compute& c, float* x, int64_t rows, int64_t heads, int64_t head_dim, int64_t ld, const RopeAngles& a) {
    assert(a.rows == rows && a.half * 2 == head_dim);
    const int64_t grain = std::max<int64_t>(1, (1 << 13) / std::max<int64_t>(1, heads * head_dim));
    const float* cs = a.cos.data();
    const float* sn = a.sin.data();
    for_row_ranges(
        c, rows, grain,
        [&](int64_t r0, int64_t r1) {
            rope_ref(x + r0 * ld, r1 - r0, heads, head_dim, ld, cs + r0 * a.half, sn + r0 * a.half);
        },
        [&](int64_t r0, int64_t r1) {
            rope_avx2(x + r0 * ld, r1 - r0, heads, head_dim, ld, cs + r0 * a.half, sn + r0 * a.half);
        });
}

}  // namespace vlmq::kernels
