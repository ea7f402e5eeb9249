import Kernels

/// Turns floats into the bytes of a tensor type, for building test models.
///
/// F32, F16 and BF16 are exact conversions (round to nearest even). Q8_0, Q4_0, Q4_1, Q5_0 and
/// Q5_1 follow ggml's reference quantizers (`quantize_row_*_ref`: one scale from the block's
/// extreme value, no search). K-quants have no quantizer here: use `RandomBlocks` and read the
/// values back with `Dequantize.row`.
public enum TestQuantizer {
    public static let quantizableTypes: [TensorType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1]

    /// `values.count` must be a whole number of the type's blocks; values must be finite.
    public static func quantize(_ values: [Float], as type: TensorType) -> [UInt8] {
        precondition(values.count % type.blockElements == 0,
                     "\(values.count) values are not a whole number of \(type) blocks")
        precondition(values.allSatisfy(\.isFinite), "test quantizer inputs must be finite")
        var out = [UInt8]()
        out.reserveCapacity(type.byteCount(elements: values.count) ?? 0)
        switch type {
        case .f32:
            for v in values { out.appendLittleEndian(v.bitPattern) }
        case .f16:
            for v in values { out.appendLittleEndian(Float16(v).bitPattern) }
        case .bf16:
            for v in values { out.appendLittleEndian(bfloat16Bits(v)) }
        case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1:
            for start in stride(from: 0, to: values.count, by: 32) {
                let block = Array(values[start..<start + 32])
                switch type {
                case .q8_0: appendQ8_0(block, to: &out)
                case .q4_0: appendQ4_0(block, to: &out)
                case .q4_1: appendQ4_1(block, to: &out)
                case .q5_0: appendQ5_0(block, to: &out)
                default: appendQ5_1(block, to: &out)
                }
            }
        default:
            preconditionFailure("TestQuantizer cannot produce \(type); use RandomBlocks")
        }
        return out
    }

    /// Round to nearest even on the top 16 bits, as ggml's fp32→bf16.
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    private static func halfBits(_ value: Float) -> UInt16 { Float16(value).bitPattern }

    private static func appendQ8_0(_ x: [Float], to out: inout [UInt8]) {
        let amax = x.map(abs).max()!
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        out.appendLittleEndian(halfBits(d))
        for v in x { out.append(UInt8(bitPattern: Int8((v * id).rounded()))) }
    }

    /// The value of largest magnitude, keeping its sign (the scale maps it to -8 or -16).
    private static func signedMax(_ x: [Float]) -> Float {
        x.reduce(0) { abs($1) > abs($0) ? $1 : $0 }
    }

    private static func appendQ4_0(_ x: [Float], to out: inout [UInt8]) {
        let d = signedMax(x) / -8
        let id: Float = d != 0 ? 1 / d : 0
        out.appendLittleEndian(halfBits(d))
        let q = x.map { UInt8(min(15, Int(($0 * id + 8.5).rounded(.towardZero)))) }
        for j in 0..<16 { out.append(q[j] | q[j + 16] << 4) }
    }

    private static func appendQ4_1(_ x: [Float], to out: inout [UInt8]) {
        let lo = x.min()!, hi = x.max()!
        let d = (hi - lo) / 15
        let id: Float = d != 0 ? 1 / d : 0
        out.appendLittleEndian(halfBits(d))
        out.appendLittleEndian(halfBits(lo))
        let q = x.map { UInt8(min(15, Int((($0 - lo) * id + 0.5).rounded(.towardZero)))) }
        for j in 0..<16 { out.append(q[j] | q[j + 16] << 4) }
    }

    private static func appendQ5_0(_ x: [Float], to out: inout [UInt8]) {
        let d = signedMax(x) / -16
        let id: Float = d != 0 ? 1 / d : 0
        out.appendLittleEndian(halfBits(d))
        let q = x.map { UInt8(min(31, Int(($0 * id + 16.5).rounded(.towardZero)))) }
        appendFiveBit(q, to: &out)
    }

    private static func appendQ5_1(_ x: [Float], to out: inout [UInt8]) {
        let lo = x.min()!, hi = x.max()!
        let d = (hi - lo) / 31
        let id: Float = d != 0 ? 1 / d : 0
        out.appendLittleEndian(halfBits(d))
        out.appendLittleEndian(halfBits(lo))
        let q = x.map { UInt8(min(31, Int((($0 - lo) * id + 0.5).rounded(.towardZero)))) }
        appendFiveBit(q, to: &out)
    }

    /// qh (bit i = bit 4 of q[i], little-endian u32), then nibbles as in Q4_0.
    private static func appendFiveBit(_ q: [UInt8], to out: inout [UInt8]) {
        var qh: UInt32 = 0
        for (i, v) in q.enumerated() { qh |= UInt32(v >> 4) << UInt32(i) }
        out.appendLittleEndian(qh)
        for j in 0..<16 { out.append((q[j] & 15) | (q[j + 16] & 15) << 4) }
    }
}

extension Array where Element == UInt8 {
    /// Appends an integer's bytes, least significant first.
    public mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }
}
