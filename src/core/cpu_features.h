#pragma once
// Run-time CPU feature detection for the SIMD kernel tiers.
namespace vlmq {

// True when the CPU (and OS) support AVX2 + FMA + F16C, the set every *_avx2.cpp file is compiled for.
// Always false on non-x86 builds.
bool cpu_has_avx2();

}  // namespace vlmq
