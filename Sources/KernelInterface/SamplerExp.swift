/// The sampler's `exp`: our own polynomial (relative error about 2e-7), identical in its
/// vector and scalar forms, because calling libm's `expf` 262,144 times per sampled token would
/// cost more than the rest of the sampler together. Inlinable, so each kernel level compiles it
/// with its own instructions; the arithmetic (no fused operations) is the same everywhere.
public enum SamplerExp {
    // exp(x) = 2^n · e^r with n = round(x / ln 2) and |r| ≤ ln 2 / 2; e^r by a degree-6 Taylor
    // polynomial (error below one float ulp on that interval). ln 2 is split in two parts so
    // that n · ln2High is exact.
    @inlinable static var log2e: Float { 1.442_695_04 }
    @inlinable static var ln2High: Float { 0.693_145_751_953_125 }
    @inlinable static var ln2Low: Float { 1.428_606_820_309_417_232e-6 }
    /// 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer held in the
    /// low mantissa bits.
    @inlinable static var roundingMagic: Float { 12_582_912 }
    /// Below this, exp underflows the normal range; the result is 0.
    @inlinable static var lowest: Float { -87 }
    @inlinable static var highest: Float { 88 }

    @inlinable @inline(__always)
    public static func vector(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias Vector = SIMD16<Float>
        var clamped = x
        clamped.replace(with: Vector(repeating: lowest), where: x .< lowest)
        clamped.replace(with: Vector(repeating: highest), where: x .> highest)
        let shifted = clamped * log2e + roundingMagic
        let n = shifted - roundingMagic
        let r = clamped - n * ln2High - n * ln2Low
        var p = Vector(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^n from n's bits: the integer sits in the low bits of `shifted`.
        let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4b40_0000
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: Vector.self)
        var result = p * scale
        result.replace(with: 0, where: x .< lowest)
        return result
    }

    /// The scalar form of `exp(_: Vector)`, with the same operations in the same order.
    @inlinable @inline(__always)
    public static func scalar(_ x: Float) -> Float {
        if x < lowest { return 0 }
        let clamped = x > highest ? highest : x
        let shifted = clamped * log2e + roundingMagic
        let n = shifted - roundingMagic
        let r = clamped - n * ln2High - n * ln2Low
        var p: Float = 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let integer = Int32(bitPattern: shifted.bitPattern) &- 0x4b40_0000
        return p * Float(bitPattern: UInt32(bitPattern: (integer &+ 127) &<< 23))
    }

}
