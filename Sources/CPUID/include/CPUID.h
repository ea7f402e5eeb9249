#ifndef JOBS_CPUID_H
#define JOBS_CPUID_H
#include <stdint.h>

/// The four registers `cpuid` returns for `leaf` and `subleaf`; all zero on a CPU that is not
/// x86_64 or where the leaf is above the highest one the CPU reports.
typedef struct { uint32_t eax, ebx, ecx, edx; } jobs_cpuid_registers;

jobs_cpuid_registers jobs_cpuid(uint32_t leaf, uint32_t subleaf);

/// XCR0, the register-state components the OS saves and restores (`xgetbv` with ECX = 0).
/// Call only when `cpuid` leaf 1 reports OSXSAVE (ECX bit 27): elsewhere the instruction faults.
/// 0 on a CPU that is not x86_64.
uint64_t jobs_xgetbv0(void);

#endif
