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
                let block = Int(blocks[p / blockSize]) * elementsPerBlock
                for d in 0..<headDim {
                    store(k[d], at: block + d * blockSize + p % blockSize)
                    store(v[d], at: block + blockSize * headDim + (d / 16) * blockSize * 16 + (p % blockSize) * 16 + d % 16)
                }
            }
        }

        func rounded(_ x: Float) -> Float { precision == .f16 ? Float(Float16(x)) : x }

        func store(_ x: Float, at element: Int) {
            switch precision {
            case .f32: memory.storeBytes(of: x, toByteOffset: element * 4, as: Float.self)
            case .f16: memory.storeBytes(of: Float16(x), toByteOffset: element * 2, as: Float16.self)
            }
        }

        var layout: AttentionLayout {
            AttentionLayout(base: memory, precision: precision, elementsPerBlock: 2 * blockSize * headDim,
                            blockSize: blockSize, keyOffset: 0, valueOffset: blockSize * headDim)
        }

        func free() { memory.deallocate() }

        /// Attends `queryCount` queries of `groupHeads` heads each, at positions
        /// `position..<position + queryCount`; returns [query][head][dimension].
        func attend(_ queries: [Float], queryCount: Int, groupHeads: Int, position: Int, window: Int?) -> [Float] {
            var out = [Float](repeating: .nan, count: queryCount * groupHeads * headDim)
            var scores = [Float](repeating: .nan, count: AttentionTile.scoreFloats(
                queryCount: queryCount, groupHeads: groupHeads, lastPosition: position + queryCount - 1))
            blocks.withUnsafeBufferPointer { table in
                queries.withUnsafeBufferPointer { q in
                    scores.withUnsafeMutableBufferPointer { s in
                        out.withUnsafeMutableBufferPointer { o in
                            PagedAttention.attend(AttentionTile(
                                queries: q.baseAddress!, queryStride: groupHeads * headDim, queryCount: queryCount,
                                groupHeads: groupHeads, headDim: headDim, layout: layout, blockTable: table.baseAddress!,
                                position: position, window: window, scale: 0.25, scores: s.baseAddress!,
                                out: o.baseAddress!, outStride: groupHeads * headDim))
                        }
                    }
                }
            }
            return out
        }

        /// The same in double precision, densely, from the widened stored keys and values.
        func reference(_ query: ArraySlice<Float>, first: Int, last: Int) -> [Double] {
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
    /// on the vector path (16, 32) and off it (4), in both precisions. With f16 storage the
    /// reference uses the same rounded keys and values, so the bound is f32 arithmetic's.
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
                                    XCTAssertEqual(Double(out[row + d]), expected[d], accuracy: 1e-5,
                                                   "\(precision), block \(blockSize), \(groupHeads) heads, query \(i), head \(h)")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// f16 keys and values against f32 ones for the same inputs: the only difference is the
    /// rounding of each stored element (relative 2⁻¹¹), which moves attention outputs of
    /// magnitude ≤ 1 by well under 1e-2 (measured max: see the printed value).
    func testHalfPrecisionStaysCloseToSinglePrecision() {
        let f32 = Pool(headDim: 64, blockSize: 16, positions: 300, precision: .f32)
        let f16 = Pool(headDim: 64, blockSize: 16, positions: 300, precision: .f16)
        defer { f32.free(); f16.free() }
        let q = queries(count: 8 * 4 * 64, seed: 3)
        let a = f32.attend(q, queryCount: 8, groupHeads: 4, position: 290, window: nil)
        let b = f16.attend(q, queryCount: 8, groupHeads: 4, position: 290, window: nil)
        let worst = zip(a, b).map { abs($0 - $1) }.max()!
        print("f16 vs f32 KV: max |difference| \(worst)")
        XCTAssertLessThan(worst, 1e-2)
        XCTAssertGreaterThan(worst, 0, "the f16 pool really rounds")
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
                                XCTAssertEqual(Double(alone[row + d]), expected[d], accuracy: 1e-5,
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
