#include "core/cpu_features.h"

namespace vlmq {

bool cpu_has_avx2() {
#if defined(VLMQ_HAVE_AVX2) && (defined(__x86_64__) || defined(__i386__))
    // Evaluated once; __builtin_cpu_supports also checks that the OS saves the YMM state.
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }();
    return has;
#else
    return false;
#endif
}

}  // namespace vlmq
