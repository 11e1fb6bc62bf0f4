#pragma once
// Internals shared by the scalar (rtn.cpp) and AVX2 (rtn_avx2.cpp) RTN paths. Everything that decides
// a stored value is a scalar function here, so both paths reach the same bits by construction; the
// AVX2 path only vectorises the element loops, with the same IEEE operations in the same order.
#include <cfloat>
#include <cmath>
#include <cstdint>

#include "core/error.h"
#include "core/half.h"
#include "rounding/rtn.h"

namespace vlmq::rounding::detail {

// Round half to even for |y| <= 2^22 (callers clamp first): adding 1.5 * 2^23 leaves no fraction bits.
inline float rne_small(float y) {
    constexpr float magic = 12582912.0f;
    return (y + magic) - magic;
}

inline bool fp16_is_finite(uint16_t h) { return (h & 0x7c00u) != 0x7c00u; }

// Symmetric rule given m = the element of largest |w| (first on ties) and whether the group had a NaN.
// to_f16 is vlmq::f32_to_f16 or the F16C instruction (identical results, the AVX2 path uses the latter).
template <class ToF16 = uint16_t (*)(float)>
inline GroupScale sym_params(float m, int bits, bool has_nan, ToF16 to_f16 = f32_to_f16) {
    if (has_nan || !(std::fabs(m) <= FLT_MAX)) fail("non-finite weight");
    if (m == 0.0f) return {};  // all-zero group: s = +0
    const float d = m / -float(1 << (bits - 1));
    const uint16_t s = to_f16(d);
    if (!fp16_is_finite(s)) fail("scale {} exceeds the fp16 range", d);
    return {s, 0};
}

template <class ToF16 = uint16_t (*)(float)>
inline GroupScale aff_params(float mn, float mx, int bits, bool has_nan, ToF16 to_f16 = f32_to_f16) {
    if (has_nan || !(std::fabs(mn) <= FLT_MAX) || !(std::fabs(mx) <= FLT_MAX)) fail("non-finite weight");
    // -0 -> +0, so stored values do not depend on which zero a vector min/max returned
    if (mn == 0.0f) mn = 0.0f;
    if (mx == 0.0f) mx = 0.0f;
    const float d = (mx - mn) / float((1 << bits) - 1);
    const uint16_t s = to_f16(d), b = to_f16(mn);
    if (!fp16_is_finite(s)) fail("scale {} exceeds the fp16 range", d);
    if (!fp16_is_finite(b)) fail("bias {} exceeds the fp16 range", mn);
    return {s, b};
}

inline uint8_t code_sym(float w, float s, int bits) {
    const float off = float(1 << (bits - 1));
    if (s == 0.0f) return uint8_t(off);
    const float y = std::fmin(std::fmax(w / s, -off), off - 1.0f);
    return uint8_t(int(rne_small(y) + off));
}

inline uint8_t code_aff(float w, float s, float m, int bits) {
    if (s == 0.0f) return 0;
    const float y = std::fmin(std::fmax((w - m) / s, 0.0f), float((1 << bits) - 1));
    return uint8_t(int(rne_small(y)));
}

}  // namespace vlmq::rounding::detail
