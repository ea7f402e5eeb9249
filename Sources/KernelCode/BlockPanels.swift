// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2).
import KernelInterface

/// Products of weights kept in their GGUF blocks (`BlockPanelMatrix`): each thread unpacks two
/// panels at a time into its own buffer, in exactly the bytes the int8 repack would hold
/// (quants plus the level's bias, float scales and offsets computed as `Dequantize.unpackBlock`
/// computes them), and runs this level's int8 tile on them. So every output is the same fused
/// chain as with the repacked matrix, bit for bit, and as batch-invariant; memory holds 4–6.6
/// bits per weight instead of 9–10, and the unpacked pair (under 200 KB for 4,864 columns)
/// stays in L2 while the batch's rows pass over it.
enum BlockPanels {
    static func multiply(_ matrix: BlockPanelMatrix, x: Int8DotOperands.ActivationRows, y: UnsafeMutablePointer<Float>,
                         yStride: Int, panels: Range<Int>, rows: Range<Int>) {
        let bytes = matrix.unpackedPanelBytes
        let scratch = ThreadScratch.buffer(bytes: 2 * bytes)
        var p = panels.lowerBound
        while p < panels.upperBound {
            let count = min(2, panels.upperBound - p)
            for i in 0..<count { unpack(matrix, panel: p + i, into: scratch + i * bytes) }
            let operands = Int8DotOperands(
                weights: UnsafeRawPointer(scratch), panelBytes: bytes, outputs: matrix.rows - p * 16,
                columns: matrix.columns, groupSize: matrix.groupSize, hasOffsets: matrix.hasOffsets, x: x,
                y: y + p * 16, yStride: yStride)
            Int8Kernel.multiply(operands, panels: 0..<count, rows: rows)
            p += count
        }
    }

    /// One panel in the `Int8DotOperands` layout of the matrix's groups.
    static func unpack(_ matrix: BlockPanelMatrix, panel: Int, into out: UnsafeMutableRawPointer) {
        let format = matrix.formats[panel]
        let source = matrix.storage + matrix.offsets[panel]
        switch (matrix.groupSize, matrix.hasOffsets) {
        case (32, false): unpack(format, source, columns: matrix.columns, into: out, target: Groups32.self)
        case (32, true): unpack(format, source, columns: matrix.columns, into: out, target: Groups32Offsets.self)
        default: unpack(format, source, columns: matrix.columns, into: out, target: Groups16.self)
        }
    }

    @inline(__always)
    private static func unpack<T: UnpackTarget>(_ format: BlockPanelMatrix.Format, _ source: UnsafeRawPointer,
                                                columns: Int, into out: UnsafeMutableRawPointer, target: T.Type) {
        // The quants of the int8 layout are q + bias; stored quants are q + zeroPoint.
        let add = UInt8(truncatingIfNeeded: Int8Kernel.weightBias &- format.zeroPoint)
        let negativeZero = SIMD16<Float>(repeating: -0.0)
        switch format {
        case .q8_0, .q4_0, .q5_0, .q4_1, .q5_1:
            let unitBytes = format.unitBytes, quantBytes = format.quantBytes
            for c in 0..<columns / 32 {
                let unit = source + c * unitBytes
                switch format {
                case .q8_0: bytes(unit, add: add, into: out, block: c, target: T.self)
                case .q4_0, .q4_1: quads(unit, high: 0, add: add, into: out, block: c, target: T.self)
                default: quads(unit, high: 1, add: add, into: out, block: c, target: T.self)
                }
                let d = halves(unit + quantBytes)
                let offsets = format.hasOffsets ? halves(unit + quantBytes + 32) : negativeZero
                T.scales(d, d, offsets: offsets, into: out, block: c)
            }
        case .q4_K, .q5_K:
            let unitBytes = format.unitBytes, quantBytes = format.quantBytes
            let high = format == .q5_K ? 1 : 0
            for u in 0..<columns / 256 {
                let unit = source + u * unitBytes
                let header = unit + 8 * quantBytes
                let d = halves(header + 256), dmin = halves(header + 288)
                for b in 0..<8 {
                    let c = 8 * u + b
                    quads(unit + b * quantBytes, high: high, add: add, into: out, block: c, target: T.self)
                    let scale = d * unsignedBytes(header + 16 * b)
                    let offset = negated(dmin * unsignedBytes(header + 128 + 16 * b))
                    T.scales(scale, scale, offsets: offset, into: out, block: c)
                }
            }
        case .q6_K:
            let unitBytes = format.unitBytes, quantBytes = format.quantBytes
            for u in 0..<columns / 256 {
                let unit = source + u * unitBytes
                let header = unit + 8 * quantBytes
                let d = halves(header + 256)
                for b in 0..<8 {
                    let c = 8 * u + b
                    quads(unit + b * quantBytes, high: 2, add: add, into: out, block: c, target: T.self)
                    T.scales(d * signedBytes(header + 32 * b), d * signedBytes(header + 32 * b + 16),
                             offsets: negativeZero, into: out, block: c)
                }
            }
        }
    }

    /// The eight quads of 32 columns from nibbles (and `high` extra bits per quant), plus `add`.
    /// Shifts run on 32-bit lanes with byte masks after them (x86 has no byte shifts, and
    /// Swift's masking shifts of byte vectors go lane by lane: 50x slower, measured); only the
    /// final add is per byte.
    @inline(__always)
    private static func quads<T: UnpackTarget>(_ unit: UnsafeRawPointer, high: Int, add: UInt8,
                                               into out: UnsafeMutableRawPointer, block: Int, target: T.Type) {
        typealias W = SIMD16<UInt32>
        let nibble = W(repeating: 0x0F0F_0F0F), one = W(repeating: 0x0101_0101), two = W(repeating: 0x0303_0303)
        let bias = SIMD64<UInt8>(repeating: add)
        let h0 = high > 0 ? unit.loadUnaligned(fromByteOffset: 256, as: W.self) : W()
        let h1 = high > 1 ? unit.loadUnaligned(fromByteOffset: 320, as: W.self) : W()
        for j in 0..<4 {
            let v = unit.loadUnaligned(fromByteOffset: 64 * j, as: W.self)
            var a = v & nibble, b = (v &>> 4) & nibble
            if high == 1 {
                a |= ((h0 &>> UInt32(j)) & one) &<< 4
                b |= ((h0 &>> UInt32(j + 4)) & one) &<< 4
            } else if high == 2 {
                a |= ((h0 &>> UInt32(2 * j)) & two) &<< 4
                b |= ((h1 &>> UInt32(2 * j)) & two) &<< 4
            }
            T.quad(j, block: block, out).storeBytes(of: unsafeBitCast(a, to: SIMD64<UInt8>.self) &+ bias,
                                                    as: SIMD64<UInt8>.self)
            T.quad(j + 4, block: block, out).storeBytes(of: unsafeBitCast(b, to: SIMD64<UInt8>.self) &+ bias,
                                                        as: SIMD64<UInt8>.self)
        }
    }

    /// Q8_0's signed bytes plus `add`.
    @inline(__always)
    private static func bytes<T: UnpackTarget>(_ unit: UnsafeRawPointer, add: UInt8, into out: UnsafeMutableRawPointer,
                                               block: Int, target: T.Type) {
        typealias V = SIMD64<UInt8>
        let bias = V(repeating: add)
        for j in 0..<8 {
            T.quad(j, block: block, out).storeBytes(of: unit.loadUnaligned(fromByteOffset: 64 * j, as: V.self) &+ bias,
                                                     as: V.self)
        }
    }

    /// −v with every sign flipped, as the scalar `-` (the SIMD prefix `-` is `0 − v`, which
    /// turns −0.0 into +0.0 and back, and offsets of −0.0 must stay −0.0 to keep every bit).
    @inline(__always)
    private static func negated(_ v: SIMD16<Float>) -> SIMD16<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) ^ 0x8000_0000, to: SIMD16<Float>.self)
    }

    /// 16 IEEE halves, widened exactly.
    @inline(__always)
    private static func halves(_ p: UnsafeRawPointer) -> SIMD16<Float> {
        let bits = p.loadUnaligned(as: SIMD16<UInt16>.self)
        var f = SIMD16<Float>()
        for i in 0..<16 { f[i] = Float(Float16(bitPattern: bits[i])) }
        return f
    }

    @inline(__always)
    private static func unsignedBytes(_ p: UnsafeRawPointer) -> SIMD16<Float> {
        let v = p.loadUnaligned(as: SIMD16<UInt8>.self)
        var f = SIMD16<Float>()
        for i in 0..<16 { f[i] = Float(v[i]) }
        return f
    }

    @inline(__always)
    private static func signedBytes(_ p: UnsafeRawPointer) -> SIMD16<Float> {
        let v = p.loadUnaligned(as: SIMD16<Int8>.self)
        var f = SIMD16<Float>()
        for i in 0..<16 { f[i] = Float(v[i]) }
        return f
    }
}

/// Where 32 columns (`block`) of a panel go in the int8 layout of one group shape.
private protocol UnpackTarget {
    /// Quad `j` (columns 4j..<4j + 4) of the block: 64 bytes.
    static func quad(_ j: Int, block: Int, _ out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer
    /// Weight scales of the block's first and second 16 columns, and its offsets.
    static func scales(_ first: SIMD16<Float>, _ second: SIMD16<Float>, offsets: SIMD16<Float>,
                       into out: UnsafeMutableRawPointer, block: Int)
}

private enum Groups32: UnpackTarget {
    static var groupBytes: Int { Int8DotOperands.groupBytes(groupSize: 32, hasOffsets: false) }
    @inline(__always) static func quad(_ j: Int, block: Int, _ out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        out + block * groupBytes + 64 * j
    }
    @inline(__always) static func scales(_ first: SIMD16<Float>, _ second: SIMD16<Float>, offsets: SIMD16<Float>,
                                         into out: UnsafeMutableRawPointer, block: Int) {
        out.storeBytes(of: first, toByteOffset: block * groupBytes + 512, as: SIMD16<Float>.self)
    }
}

private enum Groups32Offsets: UnpackTarget {
    static var groupBytes: Int { Int8DotOperands.groupBytes(groupSize: 32, hasOffsets: true) }
    @inline(__always) static func quad(_ j: Int, block: Int, _ out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        out + block * groupBytes + 64 * j
    }
    @inline(__always) static func scales(_ first: SIMD16<Float>, _ second: SIMD16<Float>, offsets: SIMD16<Float>,
                                         into out: UnsafeMutableRawPointer, block: Int) {
        out.storeBytes(of: first, toByteOffset: block * groupBytes + 512, as: SIMD16<Float>.self)
        out.storeBytes(of: offsets, toByteOffset: block * groupBytes + 576, as: SIMD16<Float>.self)
    }
}

/// Groups of 16 (no offsets): 32 columns are two groups, quads 0–3 and 4–7.
private enum Groups16: UnpackTarget {
    static var groupBytes: Int { Int8DotOperands.groupBytes(groupSize: 16, hasOffsets: false) }
    @inline(__always) static func quad(_ j: Int, block: Int, _ out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        out + (2 * block + (j >> 2)) * groupBytes + 64 * (j & 3)
    }
    @inline(__always) static func scales(_ first: SIMD16<Float>, _ second: SIMD16<Float>, offsets: SIMD16<Float>,
                                         into out: UnsafeMutableRawPointer, block: Int) {
        out.storeBytes(of: first, toByteOffset: 2 * block * groupBytes + 256, as: SIMD16<Float>.self)
        out.storeBytes(of: second, toByteOffset: (2 * block + 1) * groupBytes + 256, as: SIMD16<Float>.self)
    }
}
