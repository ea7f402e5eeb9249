// Shared by the int8 kernel modules of every level (VNNIKernels, AVX2Int8Kernels), built with
// `-parse-stdlib`: the arithmetic below is one vector instruction each through `Builtin` (the
// stdlib's SIMD operators are lane loops, which stayed scalar loops inside the product's loop,
// 3x slower; compiled for the baseline CPU a half would even be a library call). The levels'
// unpacking (`BlockPanels`) calls it too.
import Swift
import KernelInterface

extension BlockPanelMatrix.Format {
    /// The weight scales of a panel's 16 rows for columns `32b..<32b + 16` (`first`) and
    /// `32b + 16..<32b + 32` (`second`) of a unit, and their offsets (−0.0 for formats without
    /// one), from the unit's scale fields at `header`: `d`; `d`, `m`; `d · scale`,
    /// `−(dmin · min)`; `d · scale` per 16 columns (Q6_K) — what `Dequantize.unpackBlock` gives.
    /// Every kernel that reads this layout takes its scales from here, so the products it feeds
    /// are the same bit for bit.
    @inline(__always)
    public func scales(header: UnsafeRawPointer, block b: Int)
        -> (first: SIMD16<Float>, second: SIMD16<Float>, offsets: SIMD16<Float>) {
        let negativeZero = SIMD16<Float>(repeating: -0.0)
        switch self {
        case .q8_0, .q4_0, .q5_0:
            let d = Self.halves(header)
            return (d, d, negativeZero)
        case .q4_1, .q5_1:
            let d = Self.halves(header)
            return (d, d, Self.halves(header + 32))
        case .q4_K, .q5_K:
            let scale = product(Self.halves(header + 256), Self.unsignedBytes(header + 16 * b))
            let offset = Self.negated(product(Self.halves(header + 288), Self.unsignedBytes(header + 128 + 16 * b)))
            return (scale, scale, offset)
        case .q6_K:
            let d = Self.halves(header + 256)
            return (product(d, Self.signedBytes(header + 32 * b)), product(d, Self.signedBytes(header + 32 * b + 16)),
                    negativeZero)
        }
    }

    /// −v with every sign flipped, as the scalar `-` (the SIMD prefix `-` is `0 − v`, which
    /// turns −0.0 into +0.0 and back, and offsets of −0.0 must stay −0.0 to keep every bit).
    @inline(__always)
    static func negated(_ v: SIMD16<Float>) -> SIMD16<Float> {
        let signs = unsafeBitCast(SIMD16<UInt32>(repeating: 0x8000_0000), to: Builtin.Vec16xInt32.self)
        return unsafeBitCast(Builtin.xor_Vec16xInt32(unsafeBitCast(v, to: Builtin.Vec16xInt32.self), signs),
                             to: SIMD16<Float>.self)
    }

    /// 16 IEEE halves, widened exactly (`vcvtph2ps`).
    @inline(__always)
    static func halves(_ p: UnsafeRawPointer) -> SIMD16<Float> {
        let bits = p.loadUnaligned(as: SIMD16<UInt16>.self)
        return unsafeBitCast(Builtin.fpext_Vec16xFPIEEE16_Vec16xFPIEEE32(unsafeBitCast(bits, to: Builtin.Vec16xFPIEEE16.self)),
                             to: SIMD16<Float>.self)
    }

    @inline(__always)
    static func unsignedBytes(_ p: UnsafeRawPointer) -> SIMD16<Float> {
        let bytes = unsafeBitCast(p.loadUnaligned(as: SIMD16<UInt8>.self), to: Builtin.Vec16xInt8.self)
        return unsafeBitCast(Builtin.sitofp_Vec16xInt32_Vec16xFPIEEE32(Builtin.zext_Vec16xInt8_Vec16xInt32(bytes)),
                             to: SIMD16<Float>.self)
    }

    @inline(__always)
    static func signedBytes(_ p: UnsafeRawPointer) -> SIMD16<Float> {
        let bytes = unsafeBitCast(p.loadUnaligned(as: SIMD16<Int8>.self), to: Builtin.Vec16xInt8.self)
        return unsafeBitCast(Builtin.sitofp_Vec16xInt32_Vec16xFPIEEE32(Builtin.sext_Vec16xInt8_Vec16xInt32(bytes)),
                             to: SIMD16<Float>.self)
    }
}
