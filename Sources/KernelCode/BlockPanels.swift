// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2).
import KernelInterface

/// Products of weights kept in their GGUF blocks (`BlockPanelMatrix`). For a few rows (decoding)
/// the level's `BlockDotProduct` multiplies each panel straight from its bits. For more, each
/// thread unpacks two panels at a time into its own buffer, in the bytes the int8 repack would
/// hold (quants plus the level's bias, float scales and offsets computed as
/// `Dequantize.unpackBlock` computes them; the quants as stored, q + zeroPoint, where the level
/// multiplies them unsigned: `Int8DotOperands.quantRange`), and runs this level's int8 tile on
/// them. So every output is the same fused chain as with the repacked matrix, bit for bit, and
/// as batch-invariant; memory holds 4–6.6 bits per weight instead of 9–10, and the unpacked pair
/// (under 200 KB for 4,864 columns) stays in L2 while the batch's rows pass over it.
enum BlockPanels {
    static func multiply(_ matrix: BlockPanelMatrix, x: Int8DotOperands.ActivationRows, y: UnsafeMutablePointer<Float>,
                         yStride: Int, panels: Range<Int>, rows: Range<Int>) {
        let bytes = matrix.unpackedPanelBytes
        let scratch = ThreadScratch.buffer(bytes: 2 * bytes)
        let inRegisters = rows.count <= Int8Kernel.inRegisterRows
        var p = panels.lowerBound
        while p < panels.upperBound {
            if inRegisters && matrix.formats[p] != .q8_0 {
                Int8Kernel.multiplyInRegisters(matrix, panel: p, x: x, y: y, yStride: yStride, rows: rows)
                p += 1
                continue
            }
            // A pair shares one group shape (panels of differently shaped stacked tensors go one by one).
            let groups = matrix.groups(ofPanel: p)
            let count = p + 1 < panels.upperBound && matrix.groups(ofPanel: p + 1) == groups ? 2 : 1
            let panelBytes = groups.panelBytes(columns: matrix.columns)
            // The range of the pair's quants when both have the same one (and the level no bias):
            // then the pair is unpacked as its stored quants, which the level multiplies unsigned.
            let range = Int8Kernel.weightBias == 0 && (count == 1 || matrix.formats[p] == matrix.formats[p + 1])
                ? matrix.formats[p].quantRange : nil
            for i in 0..<count {
                unpack(matrix, panel: p + i, into: scratch + i * panelBytes, storedQuants: range != nil)
            }
            let operands = Int8DotOperands(
                weights: UnsafeRawPointer(scratch), panelBytes: panelBytes, outputs: matrix.rows - p * 16,
                columns: matrix.columns, groupSize: groups.size, hasOffsets: groups.hasOffsets, x: x,
                y: y + p * 16, yStride: yStride, quantRange: range)
            Int8Kernel.multiply(operands, panels: 0..<count, rows: rows)
            p += count
        }
    }

    /// One panel in the `Int8DotOperands` layout of its groups (`BlockPanelMatrix.groups(ofPanel:)`):
    /// quants q + the level's bias, or with `storedQuants` the format's stored quants
    /// q + zeroPoint (the unsigned bytes of `Int8DotOperands.quantRange`).
    static func unpack(_ matrix: BlockPanelMatrix, panel: Int, into out: UnsafeMutableRawPointer, storedQuants: Bool) {
        let format = matrix.formats[panel]
        let source = matrix.storage + matrix.offsets[panel]
        let groups = matrix.groups(ofPanel: panel)
        // The quants of the int8 layout are q + bias; stored quants are q + zeroPoint.
        let add = UInt8(truncatingIfNeeded: storedQuants ? 0 : Int8Kernel.weightBias &- format.zeroPoint)
        switch (groups.size, groups.hasOffsets) {
        case (32, false): unpack(format, source, columns: matrix.columns, add: add, into: out, target: Groups32.self)
        case (32, true): unpack(format, source, columns: matrix.columns, add: add, into: out, target: Groups32Offsets.self)
        default: unpack(format, source, columns: matrix.columns, add: add, into: out, target: Groups16.self)
        }
    }

    @inline(__always)
    private static func unpack<T: UnpackTarget>(_ format: BlockPanelMatrix.Format, _ source: UnsafeRawPointer,
                                                columns: Int, add: UInt8, into out: UnsafeMutableRawPointer, target: T.Type) {
        // Each format as a constant, so its loops specialize.
        switch format {
        case .q8_0: unpackUnits(.q8_0, source, columns: columns, add: add, into: out, target: T.self)
        case .q4_0: unpackUnits(.q4_0, source, columns: columns, add: add, into: out, target: T.self)
        case .q4_1: unpackUnits(.q4_1, source, columns: columns, add: add, into: out, target: T.self)
        case .q5_0: unpackUnits(.q5_0, source, columns: columns, add: add, into: out, target: T.self)
        case .q5_1: unpackUnits(.q5_1, source, columns: columns, add: add, into: out, target: T.self)
        case .q4_K: unpackUnits(.q4_K, source, columns: columns, add: add, into: out, target: T.self)
        case .q5_K: unpackUnits(.q5_K, source, columns: columns, add: add, into: out, target: T.self)
        case .q6_K: unpackUnits(.q6_K, source, columns: columns, add: add, into: out, target: T.self)
        }
    }

    @inline(__always)
    private static func unpackUnits<T: UnpackTarget>(_ format: BlockPanelMatrix.Format, _ source: UnsafeRawPointer,
                                                     columns: Int, add: UInt8, into out: UnsafeMutableRawPointer, target: T.Type) {
        let unitColumns = format.unitColumns, unitBytes = format.unitBytes, quantBytes = format.quantBytes
        let high = format.highBits
        let blocks = unitColumns / 32, lines = (unitBytes + 63) / 64
        for u in 0..<columns / unitColumns {
            let unit = source + u * unitBytes
            let header = unit + unitColumns / 32 * quantBytes
            for b in 0..<blocks {
                // The source comes from memory: its lines ahead, as `BlockDotProduct` asks for them.
                LevelPrefetch.ahead(share: b, of: blocks, lines: lines, unit: unit)
                let c = unitColumns / 32 * u + b
                if format == .q8_0 {
                    bytes(unit, add: add, into: out, block: c, target: T.self)
                } else {
                    quads(unit + b * quantBytes, high: high, add: add, into: out, block: c, target: T.self)
                }
                let scales = format.scales(header: header, block: b)
                T.scales(scales.first, scales.second, offsets: scales.offsets, into: out, block: c)
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
