/// bfloat16 as its 16 bits: the top half of an f32 (sign, 8 exponent bits, 7 fraction bits).
///
/// Rounding is to nearest, ties to even, on the dropped 16 bits (as `vcvtneps2bf16`); f32
/// subnormals become a zero of their sign, because `vdpbf16ps` reads bf16 subnormals as zero
/// (Intel SDM, `VDPBF16PS`: DAZ), so what the emulated products see is what the instruction
/// sees. NaN stays NaN (quiet); a finite value above bf16's largest, 3.39e38, rounds to infinity.
public enum BFloat16Bits {
    @inlinable @inline(__always)
    public static func rounded(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if bits & 0x7F80_0000 == 0 { return UInt16(truncatingIfNeeded: (bits & 0x8000_0000) >> 16) }
        if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// The f32 with these bits on top (exact).
    @inlinable @inline(__always)
    public static func widened(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Two bf16 in one 32-bit word, `low` in bits 0-15 (the even element of a pair), `high` in
    /// 16-31: one lane of a `vdpbf16ps` operand.
    @inlinable @inline(__always)
    public static func pair(low: Float, high: Float) -> UInt32 {
        UInt32(rounded(low)) | UInt32(rounded(high)) << 16
    }
}
