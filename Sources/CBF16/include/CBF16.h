#ifndef JOBS_CBF16_H
#define JOBS_CBF16_H
// AVX-512 BF16's pair product for BF16Kernels, which Swift's `Builtin` cannot name (its operands
// are LLVM `bfloat` vectors). Swift imports these vector types as SIMD16<Float> and
// SIMD16<UInt32> and inlines the function into code compiled for a CPU with AVX512_BF16
// (`-target-cpu cooperlake`); call it only where cpuid reports AVX512_BF16.
#include <immintrin.h>

typedef float jobs_f32x16 __attribute__((vector_size(64)));
typedef unsigned int jobs_u32x16 __attribute__((vector_size(64)));

/// `vdpbf16ps`: per lane i, acc[i] + a.high·b.high, rounded, + a.low·b.low, rounded, where each
/// 32-bit lane of `a` and `b` holds two bf16 (low = bits 0-15); bf16 subnormals read as zero and
/// subnormal results flushed to zero (Intel SDM, VDPBF16PS).
static inline __attribute__((always_inline, target("avx512f,avx512bf16")))
jobs_f32x16 jobs_dpbf16ps(jobs_f32x16 acc, jobs_u32x16 a, jobs_u32x16 b) {
    return (jobs_f32x16)_mm512_dpbf16_ps((__m512)acc, (__m512bh)a, (__m512bh)b);
}

typedef unsigned short jobs_u16x16 __attribute__((vector_size(32)));

/// `vcvtneps2bf16`: each lane rounded to bf16, nearest even; subnormals to a zero of their sign,
/// NaN to a quiet NaN (Intel SDM, VCVTNEPS2BF16).
static inline __attribute__((always_inline, target("avx512f,avx512bf16")))
jobs_u16x16 jobs_cvtneps2bf16(jobs_f32x16 x) {
    return (jobs_u16x16)_mm512_cvtneps_pbh((__m512)x);
}

#endif
