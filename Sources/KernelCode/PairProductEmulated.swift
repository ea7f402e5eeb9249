// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2).

/// Pair products without AVX-512 BF16: what `vdpbf16ps` computes, as two fused multiply-adds
/// per lane. A bf16 pair's product is exact in f32, so fma(a, b, acc) rounds exactly where the
/// instruction's addition does; high halves first, as the instruction (Intel SDM, VDPBF16PS).
/// Inputs are never subnormal (`BFloat16Bits` rounds them to zero); the one difference left is
/// a sum that falls below 2⁻¹²⁶, which the instruction flushes to zero and this keeps.
enum PairProduct {
    @inline(__always)
    static func accumulate(_ acc: SIMD16<Float>, broadcast word: UInt32, _ pairs: SIMD16<UInt32>) -> SIMD16<Float> {
        let high = unsafeBitCast(pairs & SIMD16<UInt32>(repeating: 0xFFFF_0000), to: SIMD16<Float>.self)
        let low = unsafeBitCast(pairs &<< SIMD16<UInt32>(repeating: 16), to: SIMD16<Float>.self)
        return acc.addingProduct(SIMD16<Float>(repeating: Float(bitPattern: word & 0xFFFF_0000)), high)
            .addingProduct(SIMD16<Float>(repeating: Float(bitPattern: word << 16)), low)
    }

    /// Each lane rounded to bf16 as `BFloat16Bits.rounded` (what `vcvtneps2bf16` computes):
    /// nearest even on the dropped 16 bits, NaN quieted, subnormals to a zero of their sign.
    /// Float comparisons, which compile to vector compares (integer ones went lane by lane).
    @inline(__always)
    static func rounded(_ x: SIMD16<Float>) -> SIMD16<UInt16> {
        let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self)
        let upper = bits &>> SIMD16<UInt32>(repeating: 16)
        var r = (bits &+ SIMD16<UInt32>(repeating: 0x7FFF) &+ (upper & SIMD16<UInt32>(repeating: 1)))
            &>> SIMD16<UInt32>(repeating: 16)
        r.replace(with: upper | SIMD16<UInt32>(repeating: 0x40), where: x .!= x)
        let smallest = SIMD16<Float>(repeating: Float.leastNormalMagnitude)
        r.replace(with: upper & SIMD16<UInt32>(repeating: 0x8000), where: (x .< smallest) .& (x .> -smallest))
        return SIMD16<UInt16>(truncatingIfNeeded: r)
    }
}
