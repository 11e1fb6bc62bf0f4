#pragma once
// Fast portable packing of b-bit codes into the LSB-first bit stream of format.h (same bytes as
// pack_codes_ref / unpack_codes_ref, which stay the readable definitions). Eight codes of b bits
// fill exactly b bytes, so both directions work eight codes at a time through a 64-bit word.
#include <cstdint>

namespace vlmq::qformat {

// codes[0..n) (each < 2^bits) -> out[0 .. (n*bits+7)/8); the last byte's unused high bits are zero.
void pack_codes(const uint8_t* codes, int64_t n, int bits, uint8_t* out);
// packed -> codes[0..n).
void unpack_codes(const uint8_t* packed, int64_t n, int bits, uint8_t* codes);

}  // namespace vlmq::qformat
