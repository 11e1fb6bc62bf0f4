#pragma once
// IEEE binary16 and bfloat16 <-> binary32 conversions (round to nearest even, NaN preserved).
#include <cstdint>
#include <cstring>

namespace vlmq {

inline float f32_from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline uint32_t bits_from_f32(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

inline float bf16_to_f32(uint16_t h) { return f32_from_bits(uint32_t(h) << 16); }

inline uint16_t f32_to_bf16(float f) {
    uint32_t u = bits_from_f32(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return uint16_t(u >> 16);
}

inline float f16_to_f32(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    // Inf, or NaN made quiet (as F16C's vcvtph2ps does, so the SIMD kernels match bit for bit).
    if (exp == 0x1f) return f32_from_bits(sign | 0x7f800000u | (mant << 13) | (mant ? 0x400000u : 0u));
    if (exp == 0) {
        if (mant == 0) return f32_from_bits(sign);
        // subnormal: normalise
        int shift = 0;
        while (!(mant & 0x400u)) {
            mant <<= 1;
            ++shift;
        }
        mant &= 0x3ffu;
        return f32_from_bits(sign | (uint32_t(113 - shift) << 23) | (mant << 13));
    }
    return f32_from_bits(sign | ((exp + 112) << 23) | (mant << 13));
}

inline uint16_t f32_to_f16(float f) {
    const uint32_t u = bits_from_f32(f);
    const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
    const uint32_t abs = u & 0x7fffffffu;
    if (abs > 0x7f800000u) return uint16_t(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));  // NaN
    if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // overflow (incl. inf) after rounding
    if (abs < 0x38800000u) {                                   // result is subnormal or zero
        if (abs < 0x33000000u) return sign;                    // < half of smallest subnormal
        const uint32_t exp = abs >> 23;
        const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126 - exp;  // 14..24
        uint32_t q = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1);
        const uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1u))) ++q;
        return uint16_t(sign | q);
    }
    uint32_t r = abs + 0xfffu + ((abs >> 13) & 1u);  // round mantissa to 10 bits, nearest even
    r -= 0x38000000u;                                // rebias exponent 127 -> 15
    return uint16_t(sign | (r >> 13));
}

}  // namespace vlmq
