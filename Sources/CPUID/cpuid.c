// The two instructions that say what this CPU can run and what the OS enables: `cpuid` and
// `xgetbv`. Swift has no inline assembly, so they live here, compiled for the baseline x86-64
// like everything outside the kernel modules.
#include "CPUID.h"

#if defined(__x86_64__)
#include <cpuid.h>

jobs_cpuid_registers jobs_cpuid(uint32_t leaf, uint32_t subleaf) {
    jobs_cpuid_registers r = {0, 0, 0, 0};
    // __get_cpuid_count checks the highest supported leaf first (0 for leaves it lacks).
    if (!__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx)) {
        r.eax = r.ebx = r.ecx = r.edx = 0;
    }
    return r;
}

uint64_t jobs_xgetbv0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}
#else
jobs_cpuid_registers jobs_cpuid(uint32_t leaf, uint32_t subleaf) {
    (void)leaf; (void)subleaf;
    jobs_cpuid_registers r = {0, 0, 0, 0};
    return r;
}

uint64_t jobs_xgetbv0(void) { return 0; }
#endif
