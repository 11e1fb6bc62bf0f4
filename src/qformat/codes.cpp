#include "qformat/codes.h"

#include <bit>
#include <cassert>
#include <cstring>

#include "qformat/qmatrix.h"

namespace vlmq::qformat {

namespace {

template <int B>
void pack_fixed(const uint8_t* codes, int64_t n, uint8_t* out) {
    const int64_t full = n / 8;
    for (int64_t i = 0; i < full; ++i) {
        uint64_t v = 0;
        for (int j = 0; j < 8; ++j) v |= uint64_t(codes[8 * i + j]) << (j * B);
        std::memcpy(out + i * B, &v, B);  // little-endian byte order = LSB-first bit stream
    }
    if (n % 8) {
        uint64_t v = 0;
        for (int64_t j = 0; j < n % 8; ++j) v |= uint64_t(codes[8 * full + j]) << (j * B);
        std::memcpy(out + full * B, &v, size_t(((n % 8) * B + 7) / 8));
    }
}

template <int B>
void unpack_fixed(const uint8_t* packed, int64_t n, uint8_t* codes) {
    constexpr uint64_t mask = (1u << B) - 1;
    const int64_t full = n / 8;
    for (int64_t i = 0; i < full; ++i) {
        uint64_t v = 0;
        std::memcpy(&v, packed + i * B, B);
        for (int j = 0; j < 8; ++j) codes[8 * i + j] = uint8_t((v >> (j * B)) & mask);
    }
    if (n % 8) {
        uint64_t v = 0;
        std::memcpy(&v, packed + full * B, size_t(((n % 8) * B + 7) / 8));
        for (int64_t j = 0; j < n % 8; ++j) codes[8 * full + j] = uint8_t((v >> (j * B)) & mask);
    }
}

}  // namespace

void pack_codes(const uint8_t* codes, int64_t n, int bits, uint8_t* out) {
    static_assert(std::endian::native == std::endian::little, "packing assumes a little-endian host");
    switch (bits) {
        case 2: return pack_fixed<2>(codes, n, out);
        case 3: return pack_fixed<3>(codes, n, out);
        case 4: return pack_fixed<4>(codes, n, out);
        case 5: return pack_fixed<5>(codes, n, out);
        case 6: return pack_fixed<6>(codes, n, out);
        case 7: return pack_fixed<7>(codes, n, out);
        case 8: std::memcpy(out, codes, size_t(n)); return;
        default: assert(false && "bits must be 2..8"); return pack_codes_ref(codes, n, bits, out);
    }
}

void unpack_codes(const uint8_t* packed, int64_t n, int bits, uint8_t* codes) {
    switch (bits) {
        case 2: return unpack_fixed<2>(packed, n, codes);
        case 3: return unpack_fixed<3>(packed, n, codes);
        case 4: return unpack_fixed<4>(packed, n, codes);
        case 5: return unpack_fixed<5>(packed, n, codes);
        case 6: return unpack_fixed<6>(packed, n, codes);
        case 7: return unpack_fixed<7>(packed, n, codes);
        case 8: std::memcpy(codes, packed, size_t(n)); return;
        default: assert(false && "bits must be 2..8"); return unpack_codes_ref(packed, n, bits, codes);
    }
}

}  // namespace vlmq::qformat
