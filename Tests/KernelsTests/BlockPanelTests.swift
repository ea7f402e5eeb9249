import XCTest
import Kernels
import TestSupport

/// Weights kept in their GGUF blocks (`.blocks`) multiply exactly as the int8 repack of the
/// same blocks (`.int8Dot`) and as the integer contract written out plainly, at the selected
/// kernel level (CI runs these again with JOBS_KERNELS=avx2).
final class BlockPanelTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(PackedMatrix.int8DotAvailable, "this kernel level has no int8 products (AVX-512 without VNNI)")
    }

    /// Random valid blocks for stacked tensors, each `rows` × `columns`.
    struct Stack {
        let columns: Int
        let data: [[UInt8]]
        let types: [TensorType]
        let rows: [Int]

        /// Part `index` alone, the same bytes.
        func part(_ index: Int) -> Stack {
            Stack(columns: columns, data: [data[index]], types: [types[index]], rows: [rows[index]])
        }

        init(columns: Int, data: [[UInt8]], types: [TensorType], rows: [Int]) {
            (self.columns, self.data, self.types, self.rows) = (columns, data, types, rows)
        }

        init(_ parts: [(TensorType, Int)], columns: Int, seed: UInt64) {
            var rng = SplitMix64(seed: seed)
            self.columns = columns
            types = parts.map(\.0)
            rows = parts.map(\.1)
            data = parts.map { type, rows in
                RandomBlocks.make(type, blockCount: rows * columns / type.blockElements, using: &rng)
            }
        }

        var totalRows: Int { rows.reduce(0, +) }

        func withParts<R>(_ body: ([PackedMatrix.BlockRows]) -> R) -> R {
            func go(_ index: Int, _ acc: [PackedMatrix.BlockRows]) -> R {
                if index == data.count { return body(acc) }
                return data[index].withUnsafeBytes { raw in
                    go(index + 1, acc + [PackedMatrix.BlockRows(type: types[index], data: raw.baseAddress!, rows: rows[index])])
                }
            }
            return go(0, [])
        }

        func blocks() -> PackedMatrix? { withParts { PackedMatrix.keepingBlocks(columns: columns, parts: $0) } }
        func repacked() -> PackedMatrix {
            withParts { PackedMatrix.repacking(columns: columns, parts: $0, int8Activations: true)! }
        }

        /// Every row's integer quants, and its scales and offsets per group of `groupSize`.
        func integers(groupSize: Int) -> (quants: [Int8], scales: [Float], offsets: [Float]) {
            var quants: [Int8] = [], scales: [Float] = [], offsets: [Float] = []
            var q = [Int8](repeating: 0, count: 256), s = [Float](repeating: 0, count: 16), o = s
            for (index, type) in types.enumerated() {
                let rowBytes = type.byteCount(elements: columns)!
                data[index].withUnsafeBytes { raw in
                    for r in 0..<rows[index] {
                        for b in 0..<columns / type.blockElements {
                            let sub = Dequantize.unpackBlock(type, raw.baseAddress! + r * rowBytes + b * type.blockBytes,
                                                             quants: &q, scales: &s, offsets: &o)
                            quants += q[0..<type.blockElements]
                            for g in 0..<type.blockElements / groupSize {
                                scales.append(s[g * groupSize / sub])
                                offsets.append(o[g * groupSize / sub])
                            }
                        }
                    }
                }
            }
            return (quants, scales, offsets)
        }
    }

    func inputs(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in rng.nextGaussian() * 2 }
    }

    func multiply(_ matrix: PackedMatrix, x: [Float], rowCount: Int, pool: WorkerPool = .shared) -> [Float] {
        var y = [Float](repeating: .nan, count: rowCount * matrix.rows)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                matrix.multiply(xp.baseAddress!, rowCount: rowCount, into: yp.baseAddress!, pool: pool)
            }
        }
        return y
    }

    /// The contract: activations quantized per group of 32 (scale max|x|/127, halves away from
    /// zero), an exact integer sum per weight group, one fused chain over the groups in order.
    func reference(_ stack: Stack, groupSize: Int, hasOffsets: Bool, x: [Float], rowCount: Int) -> [Float] {
        let (quants, scales, offsets) = stack.integers(groupSize: groupSize)
        let k = stack.columns, n = stack.totalRows, groups = k / groupSize
        var y = [Float](repeating: 0, count: rowCount * n)
        for m in 0..<rowCount {
            var q = [Int32](repeating: 0, count: k), d = [Float](repeating: 0, count: k / 32)
            for g in 0..<k / 32 {
                let values = x[m * k + g * 32..<m * k + g * 32 + 32]
                d[g] = values.map(abs).max()! / 127
                let inverse: Float = d[g] == 0 ? 0 : 1 / d[g]
                for j in 0..<32 { q[g * 32 + j] = Int32((values[values.startIndex + j] * inverse).rounded()) }
            }
            for row in 0..<n {
                var acc: Float = 0
                for g in 0..<groups {
                    let g32 = g * groupSize / 32
                    var sum: Int32 = 0
                    for j in g * groupSize..<(g + 1) * groupSize { sum += Int32(quants[row * k + j]) * q[j] }
                    acc = acc.addingProduct(Float(sum) * scales[row * groups + g], d[g32])
                    if hasOffsets {
                        let quantSum = q[g32 * 32..<g32 * 32 + 32].reduce(0, +)
                        acc = acc.addingProduct(offsets[row * groups + g], d[g32] * Float(quantSum))
                    }
                }
                y[m * n + row] = acc
            }
        }
        return y
    }

    /// `blocks` times `x` is, bit for bit, the int8 repack's product and the integer contract's.
    func assertExact(_ stack: Stack, blocks: PackedMatrix, repacked: PackedMatrix, groupSize: Int, hasOffsets: Bool,
                     x: [Float], rowCount: Int, _ label: String, line: UInt = #line) {
        let y = multiply(blocks, x: x, rowCount: rowCount)
        XCTAssertEqual(y.map(\.bitPattern), multiply(repacked, x: x, rowCount: rowCount).map(\.bitPattern),
                       "\(label): against the int8 repack", line: line)
        XCTAssertEqual(y.map(\.bitPattern),
                       reference(stack, groupSize: groupSize, hasOffsets: hasOffsets, x: x, rowCount: rowCount)
                           .map(\.bitPattern),
                       "\(label): against the integer contract", line: line)
    }

    static let stacks: [(parts: [(TensorType, Int)], columns: Int)] = [
        ([(.q4_0, 37)], 96), ([(.q4_1, 40)], 64), ([(.q5_0, 37)], 128), ([(.q5_1, 33)], 96),
        ([(.q4_K, 37)], 512), ([(.q5_K, 40)], 256), ([(.q6_K, 37)], 512),
        // Stacked as the loader stacks Q, K and V (and gate and up): a format per panel.
        ([(.q5_0, 32), (.q5_0, 16), (.q8_0, 16)], 256), ([(.q4_K, 16), (.q5_0, 32), (.q8_0, 5)], 256),
        ([(.q6_K, 16), (.q8_0, 16), (.q4_0, 7)], 256),
        // Q5_0 in groups of 16 (beside Q6_K) and Q4_0 among offsets (beside Q4_K): each
        // format-and-group shape the in-register path specializes.
        ([(.q6_K, 16), (.q5_0, 16)], 256), ([(.q4_K, 16), (.q4_0, 16)], 256),
    ]

    func testProductsEqualTheInt8RepackAndTheIntegerContractBitForBit() throws {
        for (index, (parts, columns)) in Self.stacks.enumerated() {
            let stack = Stack(parts, columns: columns, seed: UInt64(index + 1))
            let blocks = try XCTUnwrap(stack.blocks(), "\(parts)")
            let repacked = stack.repacked()
            guard case let .int8Dot(groupSize, hasOffsets) = repacked.format else { return XCTFail("\(repacked.format)") }
            XCTAssertEqual(blocks.format, .blocks(sharedGroups: Int8Groups(size: groupSize, hasOffsets: hasOffsets)))
            for rowCount in [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 64, 100] {
                let x = inputs(rowCount * columns, seed: UInt64(100 * index + rowCount))
                assertExact(stack, blocks: blocks, repacked: repacked, groupSize: groupSize, hasOffsets: hasOffsets,
                            x: x, rowCount: rowCount, "\(parts), \(rowCount) rows")
            }
        }
    }

    /// Every stored quant at the top (or the bottom) of its range and every activation at
    /// ±127: the 16-bit sums a level may add over several quads of small quants
    /// (`Int8DotOperands.QuantRange`) reach their bound here, and the zero point's correction
    /// its largest, and the products must still be the int8 repack's and the contract's.
    func testQuantsAtTheEndsOfTheirRangeStayExact() throws {
        // Where each format's quant bits lie in a block: (offset, bytes).
        let quantBytes: [TensorType: (Int, Int)] = [
            .q4_0: (2, 16), .q4_1: (4, 16), .q5_0: (2, 20), .q5_1: (4, 20),
            .q4_K: (16, 128), .q5_K: (16, 160), .q6_K: (0, 192),
        ]
        let columns = 256, rows = 32, rowCount = 8
        for (type, (offset, count)) in quantBytes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for fill: UInt8 in [0xFF, 0x00] {
                var data = Stack([(type, rows)], columns: columns, seed: 7).data[0]
                for block in 0..<data.count / type.blockBytes {
                    for i in 0..<count { data[block * type.blockBytes + offset + i] = fill }
                }
                let stack = Stack(columns: columns, data: [data], types: [type], rows: [rows])
                let blocks = try XCTUnwrap(stack.blocks(), "\(type)")
                let repacked = stack.repacked()
                guard case let .int8Dot(groupSize, hasOffsets) = repacked.format else { return XCTFail("\(repacked.format)") }
                for sign: Float in [1, -1] {
                    assertExact(stack, blocks: blocks, repacked: repacked, groupSize: groupSize, hasOffsets: hasOffsets,
                                x: [Float](repeating: sign, count: rowCount * columns), rowCount: rowCount,
                                "\(type), quants \(fill), activations \(sign)")
                }
            }
        }
    }

    func testRowsAreTheWeightsOfTheInt8Repack() throws {
        for (index, (parts, columns)) in Self.stacks.enumerated() {
            let stack = Stack(parts, columns: columns, seed: UInt64(index + 50))
            let blocks = try XCTUnwrap(stack.blocks()), repacked = stack.repacked()
            var a = [Float](repeating: 0, count: columns), b = a
            for row in Set([0, 15, 16, stack.totalRows - 1]) {
                a.withUnsafeMutableBufferPointer { blocks.row(row, into: $0.baseAddress!) }
                b.withUnsafeMutableBufferPointer { repacked.row(row, into: $0.baseAddress!) }
                XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(parts), row \(row)")
            }
        }
    }

    func testRowResultsDoNotDependOnBatchOrThreads() throws {
        let stack = Stack([(.q5_0, 48), (.q6_K, 32), (.q4_0, 3)], columns: 512, seed: 9)
        let blocks = try XCTUnwrap(stack.blocks())
        let k = stack.columns, n = stack.totalRows
        let all = inputs(130 * k, seed: 99)
        let full = multiply(blocks, x: all, rowCount: 130)
        for rowCount in [1, 2, 5, 6, 7, 31, 97] {
            for start in [0, 1, 33] where start + rowCount <= 130 {
                let part = Array(all[start * k..<(start + rowCount) * k])
                XCTAssertEqual(multiply(blocks, x: part, rowCount: rowCount).map(\.bitPattern),
                               full[start * n..<(start + rowCount) * n].map(\.bitPattern), "rows \(start)..<\(start + rowCount)")
            }
        }
        XCTAssertEqual(multiply(blocks, x: all, rowCount: 130, pool: WorkerPool(threadCount: 1)).map(\.bitPattern),
                       full.map(\.bitPattern), "one thread")
    }

    func testHoldsAboutTheFileSize() throws {
        for (index, (parts, columns)) in Self.stacks.enumerated() where parts.allSatisfy({ $0.1 % 16 == 0 }) {
            let stack = Stack(parts, columns: columns, seed: UInt64(index + 7))
            let fileBytes = stack.data.reduce(0) { $0 + $1.count }
            let blocks = try XCTUnwrap(stack.blocks())
            XCTAssertLessThanOrEqual(Double(blocks.byteCount), Double(fileBytes) * 1.03, "\(parts)")
            XCTAssertGreaterThanOrEqual(blocks.byteCount, fileBytes, "\(parts)")
        }
    }

    /// Q6_K stacked with a format that has offsets (Q4_K_M files stack a Q6_K attn_v with Q4_K
    /// attn_q and attn_k): no one group shape holds both, so each panel keeps its own type's and
    /// every part's outputs are, bit for bit, what the part gives as a matrix of its own, on
    /// both paths (from the bits for a few rows, unpacked for more), whatever the batch or threads.
    func testStacksWithoutASharedGroupShapeMultiplyEachPartAsAlone() throws {
        let stacks: [(parts: [(TensorType, Int)], columns: Int)] = [
            ([(.q4_K, 32), (.q4_K, 16), (.q6_K, 16)], 512),
            ([(.q6_K, 16), (.q4_K, 32), (.q8_0, 16), (.q5_1, 5)], 256),
            ([(.q5_K, 16), (.q6_K, 48), (.q4_0, 16), (.q4_1, 16)], 256),
        ]
        for (index, (parts, columns)) in stacks.enumerated() {
            let stack = Stack(parts, columns: columns, seed: UInt64(index + 300))
            let blocks = try XCTUnwrap(stack.blocks(), "\(parts)")
            XCTAssertEqual(blocks.format, .blocks(sharedGroups: nil), "\(parts)")
            let alone = (0..<parts.count).map { i in stack.part(i).blocks() ?? stack.part(i).repacked() }
            let n = stack.totalRows
            for rowCount in [1, 2, 3, 4, 5, 8, 9, 64] {
                let x = inputs(rowCount * columns, seed: UInt64(1000 * index + rowCount))
                let y = multiply(blocks, x: x, rowCount: rowCount)
                XCTAssertEqual(multiply(blocks, x: x, rowCount: rowCount, pool: WorkerPool(threadCount: 1)).map(\.bitPattern),
                               y.map(\.bitPattern), "\(parts), \(rowCount) rows, one thread")
                var first = 0
                for (i, matrix) in alone.enumerated() {
                    let own = multiply(matrix, x: x, rowCount: rowCount), rows = matrix.rows
                    for m in 0..<rowCount {
                        XCTAssertEqual(y[m * n + first..<m * n + first + rows].map(\.bitPattern),
                                       own[m * rows..<(m + 1) * rows].map(\.bitPattern),
                                       "\(parts), part \(i), row \(m) of \(rowCount)")
                    }
                    first += rows
                }
            }
            var a = [Float](repeating: 0, count: columns), b = a
            var first = 0
            for matrix in alone {
                for row in Set([0, matrix.rows - 1]) {
                    a.withUnsafeMutableBufferPointer { blocks.row(first + row, into: $0.baseAddress!) }
                    b.withUnsafeMutableBufferPointer { matrix.row(row, into: $0.baseAddress!) }
                    XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(parts), row \(first + row)")
                }
                first += matrix.rows
            }
        }
    }

    func testLayoutsThatCannotKeepBlocksFallBackToTheRepack() {
        XCTAssertNil(Stack([(.q8_0, 32)], columns: 64, seed: 1).blocks(), "Q8_0 alone keeps the int8 repack")
        XCTAssertNil(Stack([(.q5_0, 20), (.q4_0, 16)], columns: 64, seed: 3).blocks(),
                     "a part that ends inside a panel")
        XCTAssertNil(Stack([(.f16, 16)], columns: 64, seed: 4).blocks(), "float tensors")
    }
}
