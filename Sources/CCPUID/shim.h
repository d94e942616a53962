// What the CPU and the operating system support, asked of the CPU itself (cpuid, xgetbv):
// the fast path runs its AVX-512 products only where both say yes. And the cores the
// operating system lets this process run on (its affinity mask, as `taskset` sets it).
#define _GNU_SOURCE
#include <sched.h>

/// The CPUs this process may run on, or 0 when the system does not say.
static inline int lenet_allowed_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return CPU_COUNT(&set);
}

#if defined(__x86_64__)
#include <cpuid.h>

/// 1 when AVX-512 F, CD, BW, DQ and VL (what LeNetKernelsAVX512 is built for) are there and
/// the operating system saves the 512-bit registers; 0 otherwise.
static inline int lenet_cpu_has_avx512(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0;  // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xE6) != 0xE6) return 0;  // SSE, AVX, opmask, upper ZMM0-15 and ZMM16-31 state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const unsigned need = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);  // F DQ CD BW VL
    return (b & need) == need;
}
#else
static inline int lenet_cpu_has_avx512(void) { return 0; }
#endif
