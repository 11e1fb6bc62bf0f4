#include "core/cpu_features.h"

#if defined(VLMQ_HAVE_AVX2) && (defined(__x86_64__) || defined(__i386__))
#include <cpuid.h>
#endif

namespace vlmq {

bool cpu_has_avx2() {
#if defined(VLMQ_HAVE_AVX2) && (defined(__x86_64__) || defined(__i386__))
    // Evaluated once; __builtin_cpu_supports also checks that the OS saves the YMM state.
    static const bool has = [] {
        __builtin_cpu_init();
        // Clang before 16 has no "f16c" for __builtin_cpu_supports: CPUID leaf 1, ECX bit 29.
        unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
        const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C);
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
    }();
    return has;
#else
    return false;
#endif
}

}  // namespace vlmq
