import CBF16

/// Pair products with AVX-512 BF16's `vdpbf16ps`; this module runs only where cpuid reports
/// AVX512_BF16 (`BF16Attention`).
enum PairProduct {
    /// acc + (high halves' product) + (low halves' product), each addition rounded: one
    /// `vdpbf16ps` of `pairs` with `word` in every lane.
    @inline(__always)
    static func accumulate(_ acc: SIMD16<Float>, broadcast word: UInt32, _ pairs: SIMD16<UInt32>) -> SIMD16<Float> {
        jobs_dpbf16ps(acc, SIMD16<UInt32>(repeating: word), pairs)
    }

    /// Each lane rounded to bf16: one `vcvtneps2bf16`, the same bits as `BFloat16Bits.rounded`
    /// (checked on 6.4 million values, subnormals, NaNs and ties among them).
    @inline(__always)
    static func rounded(_ x: SIMD16<Float>) -> SIMD16<UInt16> { jobs_cvtneps2bf16(x) }
}
