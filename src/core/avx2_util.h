#pragma once
// Small AVX2/FMA/F16C helpers shared by the *_avx2.cpp translation units. Include only from files
// compiled with -mavx2 -mfma -mf16c, and call only after cpu_has_avx2().
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace vlmq::avx2 {

// GEMV weight rows are one contiguous stream; asking for the line 2 KiB ahead keeps more loads in flight than
// the hardware prefetcher alone (decode on the 0.5B ADR package: ~15% more tokens/s on one core).
inline void prefetch_ahead(const void* p) { _mm_prefetch(static_cast<const char*>(p) + 2048, _MM_HINT_T0); }

inline __m256 load_f16x8(const void* p) { return _mm256_cvtph_ps(_mm_loadu_si128(static_cast<const __m128i*>(p))); }

inline __m256 load_bf16x8(const void* p) {
    const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(static_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

// f32 -> bf16 with round-to-nearest-even and quiet NaNs, bit-identical to vlmq::f32_to_bf16.
// Returns the 8 results in the low 16 bits of each 32-bit lane.
inline __m256i bf16_bits_x8(__m256 x) {
    const __m256i u = _mm256_castps_si256(x);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), lsb)), 16);
    const __m256i nan = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
    const __m256i is_nan =
        _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
    return _mm256_blendv_epi8(rounded, nan, is_nan);
}

inline void store_bf16x8(void* p, __m256 x) {
    const __m256i b = bf16_bits_x8(x);
    const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
    _mm_storeu_si128(static_cast<__m128i*>(p), packed);
}

inline void store_f16x8(void* p, __m256 x) {
    _mm_storeu_si128(static_cast<__m128i*>(p), _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float hmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float hmin(__m256 v) {
    __m128 s = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_min_ps(s, _mm_movehl_ps(s, s));
    s = _mm_min_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline int32_t hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

// 8 int32 lanes (each 0..255) -> 8 bytes at p.
inline void store_u8x8(uint8_t* p, __m256i v) {
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(w, w));
}

// 4 x 8 int32 lanes (each 0..255) -> 32 bytes at p, in order.
inline void store_u8x32(uint8_t* p, __m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i ab = _mm256_packs_epi32(a, b);  // per 128-bit lane: a0-3 b0-3 | a4-7 b4-7
    const __m256i cd = _mm256_packs_epi32(c, d);
    const __m256i x = _mm256_packus_epi16(ab, cd);  // a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7 (dwords)
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm256_permutevar8x32_epi32(x, order));
}

// Eight B-bit codes of the LSB-first bit stream starting at byte p (bit offset 0) as int32 lanes;
// reads exactly B bytes.
template <int B>
inline __m256i codes8(const uint8_t* p) {
    if constexpr (B == 8) {
        return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    } else if constexpr (B == 4) {
        uint32_t v;
        std::memcpy(&v, p, 4);
        const __m256i sh = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
        return _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(int(v)), sh), _mm256_set1_epi32(15));
    } else {
        uint64_t v = 0;
        std::memcpy(&v, p, B);
        const __m256i both = _mm256_setr_epi32(int(uint32_t(v)), int(uint32_t(v)), int(uint32_t(v)), int(uint32_t(v)),
                                               int(uint32_t(v >> (4 * B))), int(uint32_t(v >> (4 * B))),
                                               int(uint32_t(v >> (4 * B))), int(uint32_t(v >> (4 * B))));
        const __m256i sh = _mm256_setr_epi32(0, B, 2 * B, 3 * B, 0, B, 2 * B, 3 * B);
        return _mm256_and_si256(_mm256_srlv_epi32(both, sh), _mm256_set1_epi32((1 << B) - 1));
    }
}

}  // namespace vlmq::avx2
