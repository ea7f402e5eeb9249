/// Turns GGUF tensor bytes into floats, and quantized blocks into integer quants plus per
/// sub-block scales and offsets (for packing weights into GEMM-friendly layouts).
///
/// Semantics are ggml's `dequantize_row_*` (`src/ggml-quants.c`), float operation for float
/// operation, so results are bit-identical to ggml's and to gguf-py's `quants.dequantize`.
/// Block layouts (fields in storage order, `f16` = IEEE half, little-endian):
///
/// | type | values/block | bytes | fields |
/// |------|-----|-----|--------|
/// | Q8_0 | 32  | 34  | d:f16, qs:i8[32] |
/// | Q4_0 | 32  | 18  | d:f16, qs:u8[16] (element i<16: low nibble of qs[i]; i≥16: high nibble of qs[i-16]) |
/// | Q4_1 | 32  | 20  | d:f16, m:f16, qs:u8[16] |
/// | Q5_0 | 32  | 22  | d:f16, qh:u32 (bit i = 5th bit of element i), qs:u8[16] |
/// | Q5_1 | 32  | 24  | d:f16, m:f16, qh:u32, qs:u8[16] |
/// | Q4_K | 256 | 144 | d:f16, dmin:f16, scales:u8[12] (8 × 6-bit scale and min), qs:u8[128] |
/// | Q5_K | 256 | 176 | d:f16, dmin:f16, scales:u8[12], qh:u8[32], qs:u8[128] |
/// | Q6_K | 256 | 210 | ql:u8[128], qh:u8[64], scales:i8[16], d:f16 |
///
/// Everything here is pure arithmetic on caller-provided memory; callers guarantee that the
/// source holds `count / type.blockElements` whole blocks.
public enum Dequantize {
    /// Writes `count` floats decoded from `source`, which holds `count` values of `type` (a whole
    /// number of blocks) at any alignment.
    public static func row(_ type: TensorType, from source: UnsafeRawPointer, count: Int,
                           into destination: UnsafeMutablePointer<Float>) {
        precondition(type.isSupported, "Dequantize cannot read \(type)")
        precondition(count >= 0 && count % type.blockElements == 0,
                     "\(count) values are not a whole number of \(type) blocks")
        let blocks = count / type.blockElements
        switch type {
        case .f32:
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        case .f16:
            for i in 0..<count { destination[i] = half(source, 2 * i) }
        case .bf16:
            for i in 0..<count {
                destination[i] = Float(bitPattern: UInt32(source.loadUnaligned(fromByteOffset: 2 * i,
                                                                                as: UInt16.self)) << 16)
            }
        case .q8_0:
            for b in 0..<blocks { q8_0(source + b * 34, destination + b * 32) }
        case .q4_0:
            for b in 0..<blocks { q4_0(source + b * 18, destination + b * 32) }
        case .q4_1:
            for b in 0..<blocks { q4_1(source + b * 20, destination + b * 32) }
        case .q5_0:
            for b in 0..<blocks { q5_0(source + b * 22, destination + b * 32) }
        case .q5_1:
            for b in 0..<blocks { q5_1(source + b * 24, destination + b * 32) }
        case .q4_K:
            for b in 0..<blocks { q4_K(source + b * 144, destination + b * 256) }
        case .q5_K:
            for b in 0..<blocks { q5_K(source + b * 176, destination + b * 256) }
        case .q6_K:
            for b in 0..<blocks { q6_K(source + b * 210, destination + b * 256) }
        case .q8_1, .q2_K, .q3_K, .q8_K:
            preconditionFailure("unreachable: \(type) is not supported")
        }
    }

    /// Elements sharing one scale and offset in `unpackBlock`: 16 for Q6_K, 32 for the other
    /// quantized types.
    public static func subBlockSize(_ type: TensorType) -> Int {
        switch type {
        case .q6_K: return 16
        case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K: return 32
        default: preconditionFailure("\(type) has no sub-blocks to unpack")
        }
    }

    /// Splits one block of a quantized type into integer quants and per-sub-block scale and
    /// offset, such that for every element i of the block
    ///
    ///     value[i] = scales[i / sub] * Float(quants[i]) + offsets[i / sub]
    ///
    /// (`sub = subBlockSize(type)`, the return value) is bit-identical to what `row` writes when
    /// evaluated as written: a rounded product, then an add. (A fused multiply-add gives the
    /// same bits for the types whose offset is -0.0, and may differ by an ulp for the others.)
    /// Buffers: `quants` holds
    /// `type.blockElements`, `scales` and `offsets` hold `blockElements / sub`.
    ///
    /// Quants: Q8_0 [-128, 127]; Q4_0 [-8, 7] and Q5_0 [-16, 15] (already shifted to signed);
    /// Q4_1, Q4_K [0, 15]; Q5_1, Q5_K [0, 31]; Q6_K [-32, 31]. Offsets: Q4_1/Q5_1 `m`,
    /// Q4_K/Q5_K `-(dmin·m_j)`, and -0.0 for the symmetric types (adding -0.0 changes no value,
    /// not even the sign of a zero product).
    @discardableResult
    public static func unpackBlock(_ type: TensorType, _ block: UnsafeRawPointer,
                                   quants: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>,
                                   offsets: UnsafeMutablePointer<Float>) -> Int {
        switch type {
        case .q8_0:
            scales[0] = half(block, 0)
            offsets[0] = -0.0
            for i in 0..<32 { quants[i] = block.load(fromByteOffset: 2 + i, as: Int8.self) }
        case .q4_0, .q4_1:
            let hasMin = type == .q4_1
            scales[0] = half(block, 0)
            offsets[0] = hasMin ? half(block, 2) : -0.0
            let qs = block + (hasMin ? 4 : 2)
            let shift: Int8 = hasMin ? 0 : 8
            for j in 0..<16 {
                let byte = qs.load(fromByteOffset: j, as: UInt8.self)
                quants[j] = Int8(byte & 0x0F) - shift
                quants[j + 16] = Int8(byte >> 4) - shift
            }
        case .q5_0, .q5_1:
            let hasMin = type == .q5_1
            scales[0] = half(block, 0)
            offsets[0] = hasMin ? half(block, 2) : -0.0
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: hasMin ? 4 : 2, as: UInt32.self))
            let qs = block + (hasMin ? 8 : 6)
            let shift: Int8 = hasMin ? 0 : 16
            for j in 0..<16 {
                let byte = qs.load(fromByteOffset: j, as: UInt8.self)
                let high0 = UInt8(truncatingIfNeeded: (qh >> UInt32(j)) << 4) & 0x10
                let high1 = UInt8(truncatingIfNeeded: qh >> UInt32(j + 12)) & 0x10
                quants[j] = Int8((byte & 0x0F) | high0) - shift
                quants[j + 16] = Int8((byte >> 4) | high1) - shift
            }
        case .q4_K, .q5_K:
            let d = half(block, 0)
            let dmin = half(block, 2)
            let packed = block + 4
            for j in 0..<8 {
                let (sc, m) = scaleAndMin(j, packed)
                scales[j] = d * Float(sc)
                offsets[j] = -(dmin * Float(m))
            }
            let isQ5 = type == .q5_K
            let qh = block + 16
            let qs = block + (isQ5 ? 48 : 16)
            for chunk in 0..<4 {
                for l in 0..<32 {
                    let byte = qs.load(fromByteOffset: 32 * chunk + l, as: UInt8.self)
                    var low = byte & 0x0F, high = byte >> 4
                    if isQ5 {
                        let bits = qh.load(fromByteOffset: l, as: UInt8.self) >> UInt8(2 * chunk)
                        low |= (bits & 1) << 4
                        high |= (bits & 2) << 3
                    }
                    quants[64 * chunk + l] = Int8(low)
                    quants[64 * chunk + 32 + l] = Int8(high)
                }
            }
        case .q6_K:
            let d = half(block, 208)
            for s in 0..<16 {
                scales[s] = d * Float(block.load(fromByteOffset: 192 + s, as: Int8.self))
                offsets[s] = -0.0
            }
            for halfIndex in 0..<2 {
                let ql = block + 64 * halfIndex
                let qh = block + 128 + 32 * halfIndex
                let q = quants + 128 * halfIndex
                for l in 0..<32 {
                    let (q1, q2, q3, q4) = sixBit(ql, qh, l)
                    q[l] = q1
                    q[l + 32] = q2
                    q[l + 64] = q3
                    q[l + 96] = q4
                }
            }
        default:
            preconditionFailure("\(type) has no blocks to unpack")
        }
        return subBlockSize(type)
    }

    // MARK: Per-block decoders (ggml's formulas and evaluation order)

    private static func q8_0(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for i in 0..<32 { y[i] = Float(block.load(fromByteOffset: 2 + i, as: Int8.self)) * d }
    }

    private static func q4_0(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for j in 0..<16 {
            let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
            y[j] = Float(Int32(byte & 0x0F) - 8) * d
            y[j + 16] = Float(Int32(byte >> 4) - 8) * d
        }
    }

    private static func q4_1(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        for j in 0..<16 {
            let byte = block.load(fromByteOffset: 4 + j, as: UInt8.self)
            y[j] = Float(byte & 0x0F) * d + m
            y[j + 16] = Float(byte >> 4) * d + m
        }
    }

    private static func q5_0(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for j in 0..<16 {
            let byte = UInt32(block.load(fromByteOffset: 6 + j, as: UInt8.self))
            let high0 = ((qh >> UInt32(j)) << 4) & 0x10
            let high1 = (qh >> UInt32(j + 12)) & 0x10
            y[j] = Float(Int32((byte & 0x0F) | high0) - 16) * d
            y[j + 16] = Float(Int32((byte >> 4) | high1) - 16) * d
        }
    }

    private static func q5_1(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0..<16 {
            let byte = UInt32(block.load(fromByteOffset: 8 + j, as: UInt8.self))
            let high0 = ((qh >> UInt32(j)) << 4) & 0x10
            let high1 = (qh >> UInt32(j + 12)) & 0x10
            y[j] = Float((byte & 0x0F) | high0) * d + m
            y[j + 16] = Float((byte >> 4) | high1) * d + m
        }
    }

    private static func q4_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let dmin = half(block, 2)
        let packed = block + 4
        let qs = block + 16
        for chunk in 0..<4 {
            let (sc1, m1) = scaleAndMin(2 * chunk, packed)
            let (sc2, m2) = scaleAndMin(2 * chunk + 1, packed)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            let out = y + 64 * chunk
            for l in 0..<32 {
                let byte = qs.load(fromByteOffset: 32 * chunk + l, as: UInt8.self)
                out[l] = d1 * Float(byte & 0x0F) - min1
                out[l + 32] = d2 * Float(byte >> 4) - min2
            }
        }
    }

    private static func q5_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let dmin = half(block, 2)
        let packed = block + 4
        let qh = block + 16
        let qs = block + 48
        for chunk in 0..<4 {
            let (sc1, m1) = scaleAndMin(2 * chunk, packed)
            let (sc2, m2) = scaleAndMin(2 * chunk + 1, packed)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            let out = y + 64 * chunk
            let shift = UInt8(2 * chunk)
            for l in 0..<32 {
                let byte = qs.load(fromByteOffset: 32 * chunk + l, as: UInt8.self)
                let bits = qh.load(fromByteOffset: l, as: UInt8.self) >> shift
                out[l] = d1 * Float((byte & 0x0F) | ((bits & 1) << 4)) - min1
                out[l + 32] = d2 * Float((byte >> 4) | ((bits & 2) << 3)) - min2
            }
        }
    }

    private static func q6_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 208)
        for halfIndex in 0..<2 {
            let ql = block + 64 * halfIndex
            let qh = block + 128 + 32 * halfIndex
            let sc = block + 192 + 8 * halfIndex
            let out = y + 128 * halfIndex
            for l in 0..<32 {
                let s = l / 16
                let (q1, q2, q3, q4) = sixBit(ql, qh, l)
                out[l] = d * Float(sc.load(fromByteOffset: s, as: Int8.self)) * Float(q1)
                out[l + 32] = d * Float(sc.load(fromByteOffset: s + 2, as: Int8.self)) * Float(q2)
                out[l + 64] = d * Float(sc.load(fromByteOffset: s + 4, as: Int8.self)) * Float(q3)
                out[l + 96] = d * Float(sc.load(fromByteOffset: s + 6, as: Int8.self)) * Float(q4)
            }
        }
    }

    // MARK: Field helpers

    /// The IEEE half at `offset`, widened exactly (subnormals, infinities and NaNs included).
    @inline(__always)
    private static func half(_ base: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset,
                                                                          as: UInt16.self))))
    }

    /// Sub-block j's 6-bit scale and min from the 12 packed bytes of Q4_K/Q5_K: bytes 0–3 hold
    /// scales 0–3, bytes 4–7 mins 0–3 (low 6 bits each); bytes 8–11 hold the low 4 bits of
    /// scales 4–7 (low nibble) and mins 4–7 (high nibble), whose top 2 bits are the top bits
    /// of bytes 0–3 and 4–7.
    @inline(__always)
    static func scaleAndMin(_ j: Int, _ packed: UnsafeRawPointer) -> (UInt8, UInt8) {
        func byte(_ i: Int) -> UInt8 { packed.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (byte(j) & 63, byte(j + 4) & 63) }
        return ((byte(j + 4) & 0x0F) | ((byte(j - 4) >> 6) << 4), (byte(j + 4) >> 4) | ((byte(j) >> 6) << 4))
    }

    /// The four signed 6-bit quants that share `ql[l]`, `ql[l + 32]` and `qh[l]` in one
    /// 128-value half of a Q6_K block: elements l, l+32, l+64 and l+96 of the half.
    @inline(__always)
    private static func sixBit(_ ql: UnsafeRawPointer, _ qh: UnsafeRawPointer,
                               _ l: Int) -> (Int8, Int8, Int8, Int8) {
        let a = ql.load(fromByteOffset: l, as: UInt8.self)
        let b = ql.load(fromByteOffset: l + 32, as: UInt8.self)
        let h = qh.load(fromByteOffset: l, as: UInt8.self)
        return (Int8((a & 0x0F) | ((h & 3) << 4)) - 32,
                Int8((b & 0x0F) | (((h >> 2) & 3) << 4)) - 32,
                Int8((a >> 4) | (((h >> 4) & 3) << 4)) - 32,
                Int8((b >> 4) | (((h >> 6) & 3) << 4)) - 32)
    }
}
