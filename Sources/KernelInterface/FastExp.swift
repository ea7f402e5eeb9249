/// The one `exp` of the numeric code: attention's softmax, GELU/SiLU/tanh, logit soft-capping,
/// perplexity and the sampler all use it. Cephes-style (`expf` in the Cephes library, as
/// ggml's SIMD exp): e^x = 2^n · p(r) with n = round(x / ln 2), r = x − n · ln 2 (ln 2 split in
/// two parts, fused), p a degree-7 polynomial; about 1–2 ulp of error.
///
/// libm's `expf` costs ~20 ns; the FFN needs thousands per token and the sampler one per
/// vocabulary entry (262,144 for Gemma 3). The vector and scalar forms are the same arithmetic
/// lane for lane, so a sampler that sums a block with one and walks it with the other agrees
/// with itself. Inputs above 88.37626 saturate to a huge finite value, and inputs below
/// −87.33654 (where the result leaves the normal range) give exactly 0, so a masked logit
/// (−∞) has weight 0. Inlinable: each kernel level compiles it with its own instructions.
public enum FastExp {
    @inlinable static var highest: Float { 88.376_26 }
    @inlinable static var lowest: Float { -87.336_54 }
    /// 1.5 · 2^23: adding it rounds a float below 2^22 in magnitude to an integer held in the
    /// low mantissa bits.
    @inlinable static var magic: Float { 12_582_912 }

    @inlinable @inline(__always)
    public static func vector(_ input: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        // `replace(with:where:)` compiles to compare-and-blend; `pointwiseMax`/`pointwiseMin`
        // go lane by lane (NaN handling).
        var x = input
        x.replace(with: V(repeating: highest), where: input .> highest)
        x.replace(with: V(repeating: lowest), where: input .< lowest)
        let shifted = x * 1.442_695_040_9 + magic
        let n = shifted - magic
        var r = x.addingProduct(n, V(repeating: -0.693_359_375))
        r = r.addingProduct(n, V(repeating: 2.121_944_4e-4))
        // Operators rather than addingProduct: LLVM keeps these in registers (measured).
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = (p * r) * r + r + 1
        let bits = unsafeBitCast(shifted, to: SIMD16<UInt32>.self) &- magic.bitPattern
        var result = p * unsafeBitCast((bits &+ 127) &<< 23, to: V.self)
        result.replace(with: 0, where: input .< lowest)
        return result
    }

    @inlinable @inline(__always)
    public static func scalar(_ input: Float) -> Float {
        if input < lowest { return 0 }
        let x = input > highest ? highest : input
        let shifted = x * 1.442_695_040_9 + magic
        let n = shifted - magic
        var r = x.addingProduct(n, -0.693_359_375)
        r = r.addingProduct(n, 2.121_944_4e-4)
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = (p * r) * r + r + 1
        let bits = shifted.bitPattern &- magic.bitPattern
        return p * Float(bitPattern: (bits &+ 127) &<< 23)
    }
}
