// Shared by the int8 kernel modules of every level (VNNIKernels, AVX2Int8Kernels), which are
// built with `-parse-stdlib`: the same source, compiled per CPU level. Each module supplies
// `dotBytes(_:unsigned:signed:)` over 16 lanes of four bytes.
import Swift
import KernelInterface

/// `y = x · Wᵀ` for a few rows of activations straight from the bits of a `BlockPanelMatrix`
/// panel: nibbles (and the 5th and 6th bits) become bytes in registers and go into the integer
/// dot products at once. Decoding one sequence then reads each weight's 4–6.6 bits once and
/// writes nothing, where unpacking a panel first writes and rereads about 9 bits per weight
/// through L2 — more work than the product itself when the batch is a row or two.
///
/// The same numbers as the unpacking path, bit for bit: the products take the stored unsigned
/// quants u = q + z (z = `Format.zeroPoint`), and each group's integer sum starts at −z · Σ x
/// (from the activations' correction −128 · Σ x), so it ends at Σ q · x exactly, as the int8
/// layout's sum does; weight scales and offsets come from `Format.scales(header:block:)`, as the
/// unpacking path's do; and each output's float chain is the one `Int8DotOperands` documents,
/// `acc = fma(Float(Σ q·x) · scaleᵂ, scaleˣ, acc)` then the offset term, group after group in
/// column order. A row's result therefore depends neither on the rows beside it nor on which
/// path ran. Stored quants are below 64 and activations within ±127, so AVX2's 16-bit pair sums
/// (at most 2 · 63 · 127) cannot saturate. Q8_0 panels (signed bytes) take the unpacking path.
public enum BlockDotProduct {
    /// Outputs `16 · panel ..< 16 · panel + 16` of `y` (rows `rows`, `yStride` floats apart),
    /// for a panel that is not Q8_0.
    public static func multiply(_ matrix: BlockPanelMatrix, panel: Int, x: Int8DotOperands.ActivationRows,
                                y: UnsafeMutablePointer<Float>, yStride: Int, rows: Range<Int>, tileRows: Int) {
        let format = matrix.formats[panel]
        precondition(format != .q8_0, "Q8_0 panels are multiplied after unpacking")
        let call = PanelCall(matrix: matrix, panel: matrix.storage + matrix.offsets[panel], outputs: 16 * panel,
                             x: x, y: y, yStride: yStride)
        // Format and group shape as types and type-level constants, so the loops below are
        // specialized for each (a format passed as a value was not, and ran slower than unpacking).
        let one = InlineArray<1, Int>(repeating: 0), two = InlineArray<2, Int>(repeating: 0)
        let no = InlineArray<0, Int>(repeating: 0)
        let groups = matrix.groups(ofPanel: panel)
        switch (format, groups.size == 16, groups.hasOffsets) {
        case (.q4_0, false, false): call.run(Q4_0Bits.self, sums: one, offsets: no, rows: rows, tileRows: tileRows)
        case (.q4_0, false, true): call.run(Q4_0Bits.self, sums: one, offsets: one, rows: rows, tileRows: tileRows)
        case (.q4_0, true, _): call.run(Q4_0Bits.self, sums: two, offsets: no, rows: rows, tileRows: tileRows)
        case (.q5_0, false, false): call.run(Q5_0Bits.self, sums: one, offsets: no, rows: rows, tileRows: tileRows)
        case (.q5_0, false, true): call.run(Q5_0Bits.self, sums: one, offsets: one, rows: rows, tileRows: tileRows)
        case (.q5_0, true, _): call.run(Q5_0Bits.self, sums: two, offsets: no, rows: rows, tileRows: tileRows)
        case (.q6_K, _, _): call.run(Q6_KBits.self, sums: two, offsets: no, rows: rows, tileRows: tileRows)
        case (.q4_1, _, _): call.run(Q4_1Bits.self, sums: one, offsets: one, rows: rows, tileRows: tileRows)
        case (.q5_1, _, _): call.run(Q5_1Bits.self, sums: one, offsets: one, rows: rows, tileRows: tileRows)
        case (.q4_K, _, _): call.run(Q4_KBits.self, sums: one, offsets: one, rows: rows, tileRows: tileRows)
        case (.q5_K, _, _): call.run(Q5_KBits.self, sums: one, offsets: one, rows: rows, tileRows: tileRows)
        case (.q8_0, _, _): preconditionFailure()
        }
    }
}

/// A panel format as a type, for specialization.
private protocol StoredBits { static var format: BlockPanelMatrix.Format { get } }
private enum Q4_0Bits: StoredBits { @inline(__always) static var format: BlockPanelMatrix.Format { .q4_0 } }
private enum Q4_1Bits: StoredBits { @inline(__always) static var format: BlockPanelMatrix.Format { .q4_1 } }
private enum Q5_0Bits: StoredBits { @inline(__always) static var format: BlockPanelMatrix.Format { .q5_0 } }
private enum Q5_1Bits: StoredBits { @inline(__always) static var format: BlockPanelMatrix.Format { .q5_1 } }
private enum Q4_KBits: StoredBits { @inline(__always) static var format: BlockPanelMatrix.Format { .q4_K } }
private enum Q5_KBits: StoredBits { @inline(__always) static var format: BlockPanelMatrix.Format { .q5_K } }
private enum Q6_KBits: StoredBits { @inline(__always) static var format: BlockPanelMatrix.Format { .q6_K } }

/// One panel's product: its bits, the activations and where the outputs go.
private struct PanelCall {
    let matrix: BlockPanelMatrix
    let panel: UnsafeRawPointer
    let outputs: Int
    let x: Int8DotOperands.ActivationRows
    let y: UnsafeMutablePointer<Float>
    let yStride: Int

    /// The rows in tiles of up to `tileRows` (4, 2 or 1): a tile turns each weight into bytes once
    /// for all of its rows.
    @inline(__always)
    func run<F: StoredBits, let S: Int, let O: Int>(_ format: F.Type, sums: InlineArray<S, Int>,
                                                   offsets: InlineArray<O, Int>, rows: Range<Int>, tileRows: Int) {
        var m = rows.lowerBound
        while tileRows >= 4 && m + 4 <= rows.upperBound {
            tile(F.self, sums: sums, offsets: offsets, m: m, rows: InlineArray<4, Int>(repeating: 0))
            m += 4
        }
        while tileRows >= 2 && m + 2 <= rows.upperBound {
            tile(F.self, sums: sums, offsets: offsets, m: m, rows: InlineArray<2, Int>(repeating: 0))
            m += 2
        }
        while m < rows.upperBound {
            tile(F.self, sums: sums, offsets: offsets, m: m, rows: InlineArray<1, Int>(repeating: 0))
            m += 1
        }
    }

    /// Rows `m..<m + R` × the panel's 16 outputs. S = 2: the matrix's int8 groups are 16
    /// columns (two sums per 32 columns, each with its own scale); S = 1: 32 (one sum, and an
    /// offset term when O = 1).
    @inline(__always)
    private func tile<F: StoredBits, let S: Int, let O: Int, let R: Int>(
        _ bits: F.Type, sums: InlineArray<S, Int>, offsets: InlineArray<O, Int>, m: Int, rows: InlineArray<R, Int>
    ) {
        let format = F.format, groups16 = S == 2
        typealias W = SIMD16<UInt32>
        let nibble = W(repeating: 0x0F0F_0F0F), one = W(repeating: 0x0101_0101), two = W(repeating: 0x0303_0303)
        let columns = matrix.columns, groups32 = columns / 32
        let unitColumns = format.unitColumns, unitBytes = format.unitBytes, quantBytes = format.quantBytes
        let high = format.highBits, zeroPoint = Int32(format.zeroPoint)
        var acc = InlineArray<R, SIMD16<Float>>(repeating: SIMD16<Float>())
        for u in 0..<columns / unitColumns {
            let unit = panel + u * unitBytes
            // Decoding is bound by reading the weights: ask for the lines `weightPrefetchDistance` ahead
            // (this thread's next panels), so many misses are in flight, not the few the
            // out-of-order window reaches past this unit's arithmetic; a few lines per block.
            let header = unit + unitColumns / 32 * quantBytes
            let blocks = unitColumns / 32, lines = (unitBytes + 63) / 64
            for b in 0..<blocks {
                prefetchAhead(share: b, of: blocks, lines: lines, unit: unit)
                let c = unitColumns / 32 * u + b
                let quads = unit + b * quantBytes
                // Low nibbles hold columns 0–15 of the 32, high nibbles 16–31: with groups of 16
                // they are the two groups' sums; with groups of 32, two halves of one.
                var low = InlineArray<R, SIMD16<Int32>>(repeating: SIMD16<Int32>())
                var upper = low
                if zeroPoint != 0 {
                    for r in 0..<R {
                        // corrections = −128 · Σ x exactly, so >> 7 is exact.
                        if groups16 {
                            let index = (m + r) * 2 * groups32 + 2 * c
                            low[r] = SIMD16(repeating: (x.corrections16[index] &>> 7) &* zeroPoint)
                            upper[r] = SIMD16(repeating: (x.corrections16[index + 1] &>> 7) &* zeroPoint)
                        } else {
                            low[r] = SIMD16(repeating: (x.corrections32[(m + r) * groups32 + c] &>> 7) &* zeroPoint)
                        }
                    }
                }
                let h0 = high > 0 ? quads.loadUnaligned(fromByteOffset: 256, as: W.self) : W()
                let h1 = high > 1 ? quads.loadUnaligned(fromByteOffset: 320, as: W.self) : W()
                for j in 0..<4 {
                    let v = quads.loadUnaligned(fromByteOffset: 64 * j, as: W.self)
                    var a = and(v, nibble), bits = and(shiftedRight(v, 4), nibble)
                    if high == 1 {
                        a = or(a, shiftedLeft(and(shiftedRight(h0, j), one), 4))
                        bits = or(bits, shiftedLeft(and(shiftedRight(h0, j + 4), one), 4))
                    } else if high == 2 {
                        a = or(a, shiftedLeft(and(shiftedRight(h0, 2 * j), two), 4))
                        bits = or(bits, shiftedLeft(and(shiftedRight(h1, 2 * j), two), 4))
                    }
                    let wa = unsafeBitCast(a, to: SIMD16<Int32>.self), wb = unsafeBitCast(bits, to: SIMD16<Int32>.self)
                    for r in 0..<R {
                        let source = UnsafeRawPointer(x.quants + (m + r) * columns + 32 * c)
                        let xa = SIMD16<Int32>(repeating: source.loadUnaligned(fromByteOffset: 4 * j, as: Int32.self))
                        let xb = SIMD16<Int32>(repeating: source.loadUnaligned(fromByteOffset: 16 + 4 * j, as: Int32.self))
                        low[r] = dotBytes(low[r], unsigned: wa, signed: xa)
                        upper[r] = dotBytes(upper[r], unsigned: wb, signed: xb)
                    }
                }
                let scales = format.scales(header: header, block: b)
                for r in 0..<R {
                    let d = SIMD16<Float>(repeating: x.scales[(m + r) * groups32 + c])
                    if groups16 {
                        acc[r] = fused(acc[r], product(floats(low[r]), scales.first), d)
                        acc[r] = fused(acc[r], product(floats(upper[r]), scales.second), d)
                    } else {
                        acc[r] = fused(acc[r], product(floats(added(low[r], upper[r])), scales.first), d)
                        if O == 1 {
                            let total = SIMD16<Float>(repeating: x.sums[(m + r) * groups32 + c])
                            acc[r] = fused(acc[r], scales.offsets, total)
                        }
                    }
                }
            }
        }
        let valid = min(16, matrix.rows - outputs)
        for r in 0..<R {
            let out = y + (m + r) * yStride + outputs
            if valid >= 16 {
                UnsafeMutableRawPointer(out).storeBytes(of: acc[r], as: SIMD16<Float>.self)
            } else {
                for i in 0..<max(0, valid) { out[i] = acc[r][i] }
            }
        }
    }
}
