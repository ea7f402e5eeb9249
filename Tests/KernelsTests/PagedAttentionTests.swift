import Foundation
import Kernels
import XCTest

final class PagedAttentionTests: XCTestCase {
    /// A pool of 6 blocks holding one layer's keys (transposed per block) and values (by chunks
    /// of 16 dimensions, `AttentionLayout`) for
    /// `positions` positions of one sequence, in scattered blocks, in either precision.
    /// Unwritten slots hold NaN: they must never reach a result.
    struct Pool {
        let headDim: Int, blockSize: Int, positions: Int, precision: KVPrecision
        let blocks: [Int32]
        let memory: UnsafeMutableRawPointer
        /// What attention sees: the stored values widened back to f32.
        var keys: [[Float]] = [], values: [[Float]] = []

        init(headDim: Int, blockSize: Int, positions: Int, precision: KVPrecision, seed: Int = 0) {
            self.headDim = headDim
            self.blockSize = blockSize
            self.positions = positions
            self.precision = precision
            let blockCount = (positions + blockSize - 1) / blockSize
            // logical → physical, scattered.
            blocks = (0..<blockCount).map { Int32(blockCount + 1 - $0) }
            let elementsPerBlock = 2 * blockSize * headDim
            let total = (blockCount + 2) * elementsPerBlock
            memory = .allocate(byteCount: total * precision.elementBytes, alignment: 64)
            for i in 0..<total { store(.nan, at: i) }
            for p in 0..<positions {
                let k = (0..<headDim).map { sin(Float(p * 31 + $0 + seed)) * 2 }
                let v = (0..<headDim).map { cos(Float(p * 17 + $0 + seed)) }
                keys.append(k.map(rounded)); values.append(v.map(rounded))
                let block = Int(blocks[p / blockSize]) * elementsPerBlock, i = p % blockSize
                for d in 0..<headDim {
                    // `AttentionLayout`'s formulas, written out again here.
                    if precision == .bf16 {
                        store(k[d], at: block + (d / 2) * 2 * blockSize + 2 * i + d % 2)
                        store(v[d], at: block + blockSize * headDim + (d / 16) * blockSize * 16 + (i / 2) * 32 + (d % 16) * 2 + i % 2)
                    } else {
                        store(k[d], at: block + d * blockSize + i)
                        store(v[d], at: block + blockSize * headDim + (d / 16) * blockSize * 16 + i * 16 + d % 16)
                    }
                }
            }
        }

        func rounded(_ x: Float) -> Float {
            switch precision {
            case .f32: return x
            case .f16: return Float(Float16(x))
            case .bf16: return BFloat16Bits.widened(BFloat16Bits.rounded(x))
            }
        }

        func store(_ x: Float, at element: Int) {
            switch precision {
            case .f32: memory.storeBytes(of: x, toByteOffset: element * 4, as: Float.self)
            case .f16: memory.storeBytes(of: Float16(x), toByteOffset: element * 2, as: Float16.self)
            case .bf16: memory.storeBytes(of: BFloat16Bits.rounded(x), toByteOffset: element * 2, as: UInt16.self)
            }
        }

        /// How far from `reference` a result may be: f32 arithmetic's error, or with bf16 the
        /// rounding of each softmax weight to bf16 (relative 2⁻⁹, over values of magnitude ≤ 1).
        var tolerance: Double { precision == .bf16 ? 2e-3 : 1e-5 }

        var layout: AttentionLayout {
            AttentionLayout(base: memory, precision: precision, elementsPerBlock: 2 * blockSize * headDim,
                            blockSize: blockSize, keyOffset: 0, valueOffset: blockSize * headDim)
        }

        func free() { memory.deallocate() }

        /// Attends `queryCount` queries of `groupHeads` heads each, at positions
        /// `position..<position + queryCount`; returns [query][head][dimension].
        func attend(_ queries: [Float], queryCount: Int, groupHeads: Int, position: Int, window: Int?,
                    emulatingPairProducts: Bool = false) -> [Float] {
            var out = [Float](repeating: .nan, count: queryCount * groupHeads * headDim)
            var scores = [Float](repeating: .nan, count: AttentionTile.scoreFloats(
                queryCount: queryCount, groupHeads: groupHeads, lastPosition: position + queryCount - 1))
            blocks.withUnsafeBufferPointer { table in
                queries.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { s in
                        out.withUnsafeMutableBufferPointer { o in
                            let tile = AttentionTile(
                                queries: q.baseAddress!, queryStride: groupHeads * headDim, queryCount: queryCount,
                                groupHeads: groupHeads, headDim: headDim, layout: layout, blockTable: table.baseAddress!,
                                position: position, window: window, scale: 0.25, scores: s.baseAddress!,
                                out: o.baseAddress!, outStride: groupHeads * headDim)
                            if emulatingPairProducts {
                                PagedAttention.attendEmulatingPairProducts(tile)
                            } else {
                                PagedAttention.attend(tile)
                            }
                        }
                    }
                }
            }
            return out
        }

        /// The same in double precision, densely, from the widened stored keys and values (and,
        /// with bf16, the query rounded to bf16 as the kernel rounds it).
        func reference(_ query: ArraySlice<Float>, first: Int, last: Int) -> [Double] {
            let query = precision == .bf16 ? query.map(rounded) : Array(query)
            let logits = (first...last).map { p in 0.25 * zip(query, keys[p]).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
            let peak = logits.max()!
            let weights = logits.map { Foundation.exp($0 - peak) }
            let total = weights.reduce(0, +)
            return (0..<headDim).map { d in
                (first...last).enumerated().reduce(0.0) { $0 + weights[$1.offset] / total * Double(values[$1.element][d]) }
            }
        }
    }

    func queries(count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(($0 * 7 + seed) % 13) * 0.15 - 0.9 }
    }

    /// Blocks scattered through a pool, keys transposed inside each block, windows that start
    /// and end mid-block, tiles of several queries; checked against a dense computation in
    /// double precision, for GQA group sizes on and off the register tiles and for block sizes
    /// on the vector path (16, 32) and off it (4), in every precision. With f16 and bf16 storage
    /// the reference uses the same rounded keys and values, so the bound is f32 arithmetic's
    /// (and bf16's rounding of the softmax weights).
    func testMatchesDenseSoftmaxAttentionOverScatteredBlocks() {
        for precision in KVPrecision.allCases {
            for blockSize in [4, 16, 32] {
                for groupHeads in [1, 2, 3, 4, 7, 8] {
                    for (queryCount, window) in [(1, nil), (5, nil), (6, 9 as Int?)] {
                        let pool = Pool(headDim: 32, blockSize: blockSize, positions: 3 * blockSize + 7, precision: precision)
                        defer { pool.free() }
                        let position = pool.positions - queryCount - 2
                        let q = queries(count: queryCount * groupHeads * 32, seed: groupHeads)
                        let out = pool.attend(q, queryCount: queryCount, groupHeads: groupHeads, position: position, window: window)
                        for i in 0..<queryCount {
                            let last = position + i, first = window.map { max(0, last - $0 + 1) } ?? 0
                            for h in 0..<groupHeads {
                                let row = (i * groupHeads + h) * 32
                                let expected = pool.reference(q[row..<row + 32], first: first, last: last)
                                for d in 0..<32 {
                                    XCTAssertEqual(Double(out[row + d]), expected[d], accuracy: pool.tolerance,
                                                   "\(precision), block \(blockSize), \(groupHeads) heads, query \(i), head \(h)")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// f16 and bf16 keys and values against f32 ones for the same inputs: f16 rounds each
    /// stored element (relative 2⁻¹¹), which moves attention outputs of magnitude ≤ 1 by well
    /// under 1e-2; bf16 rounds them (2⁻⁹) and the queries and softmax weights too, well under
    /// 5e-3 (measured maxima 7.0e-5 and 4.6e-4).
    func testHalfPrecisionsStayCloseToSinglePrecision() {
        let f32 = Pool(headDim: 64, blockSize: 16, positions: 300, precision: .f32)
        defer { f32.free() }
        let q = queries(count: 8 * 4 * 64, seed: 3)
        let a = f32.attend(q, queryCount: 8, groupHeads: 4, position: 290, window: nil)
        for (precision, bound) in [(KVPrecision.f16, Float(1e-2)), (.bf16, 5e-3)] {
            let pool = Pool(headDim: 64, blockSize: 16, positions: 300, precision: precision)
            defer { pool.free() }
            let b = pool.attend(q, queryCount: 8, groupHeads: 4, position: 290, window: nil)
            let worst = zip(a, b).map { abs($0 - $1) }.max()!
            print("\(precision) vs f32 KV: max |difference| \(worst)")
            XCTAssertLessThan(worst, bound)
            XCTAssertGreaterThan(worst, 0, "the \(precision) pool really rounds")
        }
    }

    /// `vdpbf16ps` (where this CPU has AVX-512 BF16) and its emulation (two fused
    /// multiply-adds per pair, every other CPU) give the same bits: tiles of one and of many
    /// queries, full and sliding-window attention, block sizes on and off the vector path,
    /// group sizes that fill the register tiles differently, and wide heads walked in spans.
    func testPairProductInstructionGivesItsEmulationsBits() throws {
        try XCTSkipUnless(PagedAttention.usesPairProductInstruction,
                          "this CPU (or JOBS_KERNELS) has no AVX-512 BF16: bf16 attention is emulated here")
        for (headDim, blockSize, positions) in [(32, 16, 64), (32, 4, 64), (256, 16, 330)] {
            let pool = Pool(headDim: headDim, blockSize: blockSize, positions: positions, precision: .bf16, seed: 5)
            defer { pool.free() }
            for groupHeads in [1, 4, 7] {
                for window: Int? in [nil, 20, 150] {
                    for (queryCount, position) in [(1, positions - 1), (1, positions - 20), (16, positions - 16), (5, positions / 2)] {
                        let q = queries(count: queryCount * groupHeads * headDim, seed: groupHeads + queryCount)
                        let instruction = pool.attend(q, queryCount: queryCount, groupHeads: groupHeads, position: position, window: window)
                        let emulated = pool.attend(q, queryCount: queryCount, groupHeads: groupHeads, position: position, window: window,
                                                   emulatingPairProducts: true)
                        XCTAssertEqual(instruction.map(\.bitPattern), emulated.map(\.bitPattern),
                                       "head \(headDim), block \(blockSize), \(groupHeads) heads, window \(String(describing: window)), \(queryCount) queries at \(position)")
                    }
                }
            }
        }
    }

    /// bf16 values are read in pairs of positions: when a tile's last position is even, the
    /// slot after it, which may never have been written (NaN in this pool), shares its pair. It
    /// must never reach a result: decode and tiles ending there, odd and even first positions
    /// of a sliding window, against the dense reference.
    func testTheUnwrittenSlotBesideATilesLastPositionNeverReachesAResult() {
        for blockSize in [16, 4] {
            let pool = Pool(headDim: 32, blockSize: blockSize, positions: 55, precision: .bf16, seed: 2)
            defer { pool.free() }
            for groupHeads in [1, 4] {
                for window: Int? in [nil, 10, 11] {
                    for queryCount in [1, 2, 5] {
                        let position = 55 - queryCount
                        let q = queries(count: queryCount * groupHeads * 32, seed: 7)
                        let out = pool.attend(q, queryCount: queryCount, groupHeads: groupHeads, position: position, window: window)
                        XCTAssertTrue(out.allSatisfy(\.isFinite), "block \(blockSize), \(groupHeads) heads, \(queryCount) queries")
                        for i in 0..<queryCount {
                            let last = position + i, first = window.map { max(0, last - $0 + 1) } ?? 0
                            for h in 0..<groupHeads {
                                let row = (i * groupHeads + h) * 32
                                let expected = pool.reference(q[row..<row + 32], first: first, last: last)
                                for d in 0..<32 { XCTAssertEqual(Double(out[row + d]), expected[d], accuracy: pool.tolerance) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// bf16 rounding (`BFloat16Bits`, and the kernel level's 16-lane conversion the KV cache
    /// stores with): nearest, ties to even, on the dropped 16 bits; f32 subnormals to a zero of
    /// their sign (what `vdpbf16ps` reads them as); NaN stays NaN; overflow to infinity.
    func testBFloat16RoundingIsNearestEvenWithSubnormalsToZero() {
        let cases: [(UInt32, UInt16)] = [
            (0x3F80_0000, 0x3F80), (0x3F80_8000, 0x3F80), (0x3F81_8000, 0x3F82), (0x3F80_8001, 0x3F81),
            (0x3F80_7FFF, 0x3F80), (0xBF80_8000, 0xBF80), (0x0000_0001, 0x0000), (0x8070_0000, 0x8000),
            (0x0080_0000, 0x0080), (0x7F7F_FFFF, 0x7F80), (0x7F80_0000, 0x7F80), (0xFF80_0000, 0xFF80),
            (0x0000_0000, 0x0000), (0x8000_0000, 0x8000),
        ]
        for (bits, expected) in cases {
            XCTAssertEqual(BFloat16Bits.rounded(Float(bitPattern: bits)), expected, String(bits, radix: 16))
        }
        XCTAssertTrue(BFloat16Bits.widened(BFloat16Bits.rounded(.nan)).isNaN)
        XCTAssertTrue(BFloat16Bits.widened(BFloat16Bits.rounded(Float(bitPattern: 0x7F80_0001))).isNaN, "a NaN whose payload is only in the dropped bits")
        var inputs = cases.map { Float(bitPattern: $0.0) } + [.nan, Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0xFFFF_FFFF)]
        var state: UInt32 = 4321
        for _ in 0..<2000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            inputs.append(Float(bitPattern: state))
        }
        var out = [UInt16](repeating: 0, count: inputs.count)
        BFloat16Conversion.convert(inputs, count: inputs.count, into: &out)
        for (x, b) in zip(inputs, out) {
            XCTAssertEqual(b, BFloat16Bits.rounded(x), String(x.bitPattern, radix: 16))
        }
    }

    /// The batch-invariance property of tiles: every (query, head) row gives the same bits
    /// whether its query is attended alone (decode), in a tile of any size, at any offset in
    /// its tile, or with different neighbours — for full and sliding-window attention, both
    /// precisions, and group sizes that fill the register tiles differently.
    func testTiledAttentionIsBitIdenticalAcrossTilingsAndNeighbours() {
        for precision in KVPrecision.allCases {
            for blockSize in [16, 4] {
                for groupHeads in [1, 4, 7] {
                    for window: Int? in [nil, 20] {
                        let pool = Pool(headDim: 32, blockSize: blockSize, positions: 64, precision: precision, seed: 11)
                        defer { pool.free() }
                        let start = 30, count = 24
                        let q = queries(count: count * groupHeads * 32, seed: 5)
                        let rowWidth = groupHeads * 32
                        // Each query alone: the decode path.
                        let alone = attend(pool, q, tiles: Array(repeating: 1, count: count), rowWidth: rowWidth,
                                           groupHeads: groupHeads, start: start, window: window)
                        for tiling in [[24], [8, 8, 8], [3, 5, 16], [1, 7, 2, 9, 5], [13, 11]] {
                            let tiled = attend(pool, q, tiles: tiling, rowWidth: rowWidth, groupHeads: groupHeads,
                                               start: start, window: window)
                            XCTAssertEqual(tiled.map(\.bitPattern), alone.map(\.bitPattern),
                                           "\(precision), block \(blockSize), \(groupHeads) heads, window \(String(describing: window)), tiles \(tiling)")
                        }
                    }
                }
            }
        }
    }

    /// The queries `q` (`rowWidth` floats each, the first at `start`) attended in consecutive
    /// tiles of `tiles` query tokens each, outputs in order.
    func attend(_ pool: Pool, _ q: [Float], tiles: [Int], rowWidth: Int, groupHeads: Int, start: Int,
                window: Int?) -> [Float] {
        var out: [Float] = []
        var i = 0
        for size in tiles {
            out += pool.attend(Array(q[i * rowWidth..<(i + size) * rowWidth]), queryCount: size,
                               groupHeads: groupHeads, position: start + i, window: window)
            i += size
        }
        return out
    }

    /// Long ranges with wide heads are walked in spans of positions (each level's span bytes of
    /// keys: 128 KiB on AVX-512, 128 positions of 256 f32 dimensions or 256 of f16; 64 KiB on
    /// AVX2, 64 or 128 positions) when a tile has several passes of rows; a row's sums then wait in its
    /// output between spans. The bits must still be those of the same row attended alone (one
    /// pass, one span, for ≤ 8 rows on AVX-512 and ≤ 6 on AVX2), in tiles of any size, with
    /// windows that start inside a span, and close to the dense reference. The ranges (up to
    /// 320 positions, windows of 150) cross span boundaries at both levels and precisions.
    func testSpansOfPositionsKeepEveryRowsBits() {
        let headDim = 256
        XCTAssertEqual(AttentionTile.spanPositions(headDim: headDim, elementBytes: 4, spanBytes: 32768), 32)
        XCTAssertEqual(AttentionTile.spanPositions(headDim: headDim, elementBytes: 2, spanBytes: 32768), 64)
        XCTAssertEqual(AttentionTile.spanPositions(headDim: headDim, elementBytes: 2, spanBytes: 65536), 128)
        XCTAssertEqual(AttentionTile.spanPositions(headDim: headDim, elementBytes: 2, spanBytes: 131072), 256)
        XCTAssertEqual(AttentionTile.spanPositions(headDim: 64, elementBytes: 4, spanBytes: 32768), 128)
        XCTAssertEqual(AttentionTile.spanPositions(headDim: 256, elementBytes: 4, spanBytes: 8192), 16)
        for precision in KVPrecision.allCases {
            for groupHeads in [1, 4, 7] {
                for window: Int? in [nil, 150] {
                    let pool = Pool(headDim: headDim, blockSize: 16, positions: 330, precision: precision, seed: 3)
                    defer { pool.free() }
                    let start = 300, count = 20
                    let q = queries(count: count * groupHeads * headDim, seed: 9)
                    let rowWidth = groupHeads * headDim
                    let alone = attend(pool, q, tiles: Array(repeating: 1, count: count), rowWidth: rowWidth,
                                       groupHeads: groupHeads, start: start, window: window)
                    for tiling in [[20], [8, 8, 4], [3, 16, 1]] {
                        let tiled = attend(pool, q, tiles: tiling, rowWidth: rowWidth, groupHeads: groupHeads,
                                           start: start, window: window)
                        XCTAssertEqual(tiled.map(\.bitPattern), alone.map(\.bitPattern),
                                       "\(precision), \(groupHeads) heads, window \(String(describing: window)), tiles \(tiling)")
                    }
                    for i in [0, count - 1] {
                        let last = start + i, first = window.map { max(0, last - $0 + 1) } ?? 0
                        for h in 0..<groupHeads {
                            let row = (i * groupHeads + h) * headDim
                            let expected = pool.reference(q[row..<row + headDim], first: first, last: last)
                            for d in 0..<headDim {
                                XCTAssertEqual(Double(alone[row + d]), expected[d], accuracy: pool.tolerance,
                                               "\(precision), \(groupHeads) heads, query \(i), head \(h), dimension \(d)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// f32 → f16 conversion at the kernel level rounds as IEEE 754 round-to-nearest-even
    /// (Swift's own `Float16(_:)`, an independent implementation): ties, subnormals, overflow
    /// to infinity, signed zeros, NaN; and widening back is exact.
    func testHalfConversionRoundsToNearestEven() {
        var inputs: [Float] = [0, -0.0, 1, -1, 65504, 65519.99, 65520, -70000, .infinity, -.infinity, .nan,
                               1 + 1.0 / 2048, 1 + 3.0 / 2048, 1 + 1.0 / 4096, 6e-8, 3e-8, 2.9e-8, 1e-5, -1e-7,
                               Float(Float16.leastNormalMagnitude), Float(Float16.leastNonzeroMagnitude) / 2]
        var state: UInt32 = 12345
        for _ in 0..<1000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            inputs.append(Float(bitPattern: (state >> 2) | (state & 1) << 31))  // any exponent, both signs
        }
        var half = [Float16](repeating: 0, count: inputs.count)
        HalfPrecision.convert(inputs, count: inputs.count, into: &half)
        for (x, h) in zip(inputs, half) {
            let expected = Float16(x)
            if x.isNaN { XCTAssertTrue(h.isNaN); continue }
            XCTAssertEqual(h.bitPattern, expected.bitPattern, "\(x)")
        }
        var back = [Float](repeating: 0, count: half.count)
        HalfPrecision.convert(half, count: half.count, into: &back)
        for (h, f) in zip(half, back) where !h.isNaN { XCTAssertEqual(f.bitPattern, Float(h).bitPattern) }
    }
}
