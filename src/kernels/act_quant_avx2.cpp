// AVX2 twin of act_quant.cpp's row loop: same amax, same d = amax / 127, same id = 1 / d, and
// vcvtps2dq rounds half to even like std::nearbyint in the default rounding mode.
#include "kernels/act_quant.h"
#include "core/avx2_util.h"

namespace vlmq::kernels::detail {

namespace {

// One 32-block: 32 int8 in natural order, its scale and sum.
inline __m256i block_q8(const float* x, float* d, int32_t* sum) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int i = 0; i < 4; ++i) {
        v[i] = _mm256_loadu_ps(x + 8 * i);
        amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[i]));
    }
    *d = avx2::hmax(amax) / 127.0f;
    const __m256 id = _mm256_set1_ps(*d != 0.0f ? 1.0f / *d : 0.0f);
    const __m256 lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
    __m256i q[4];
    for (int i = 0; i < 4; ++i)
        q[i] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v[i], id), lo), hi));
    *sum = avx2::hsum_i32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
    const __m256i w = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    return _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Natural order -> [evens (16) | odds (16)].
inline __m256i evens_odds(__m256i v) {
    const __m256i shuf = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15,  //
                                          0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    return _mm256_permute4x64_epi64(_mm256_shuffle_epi8(v, shuf), 0xd8);  // qwords 0, 2, 1, 3
}

}  // namespace

void quantize_row_q8_avx2(const float* x, int64_t K, bool nibble_order, int8_t* q, float* d, int32_t* sums) {
    const int64_t nb = K / 32;
    auto store = [&](int64_t pos, __m256i v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + pos), v); };
    if (!nibble_order) {
        for (int64_t b = 0; b < nb; ++b) store(32 * b, block_q8(x + 32 * b, d + b, sums + b));
        return;
    }
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        const __m256i v0 = evens_odds(block_q8(x + 32 * b, d + b, sums + b));
        const __m256i v1 = evens_odds(block_q8(x + 32 * b + 32, d + b + 1, sums + b + 1));
        store(32 * b, _mm256_permute2x128_si256(v0, v1, 0x20));
        store(32 * b + 32, _mm256_permute2x128_si256(v0, v1, 0x31));
    }
    if (b < nb) store(32 * b, evens_odds(block_q8(x + 32 * b, d + b, sums + b)));
}

}  // namespace vlmq::kernels::detail
