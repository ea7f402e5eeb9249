import COpenBLAS
import XCTest
import Kernels

final class PackedMatrixTests: XCTestCase {
    /// A deterministic pseudo-random stream (SplitMix64) so failures reproduce.
    struct Stream {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func float() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
        mutating func int8() -> Int8 { Int8(truncatingIfNeeded: next()) }
    }

    struct Case {
        let matrix: PackedMatrix
        /// Every weight as the kernel sees it, row-major [rows][columns].
        let weights: [Float]
    }

    func makeInt8(rows: Int, columns: Int, groupSize: Int, hasOffsets: Bool, seed: UInt64) -> Case {
        var stream = Stream(state: seed)
        var quants = [Int8](repeating: 0, count: rows * columns)
        var scales = [Float](repeating: 0, count: rows * columns / groupSize)
        var offsets = [Float](repeating: 0, count: rows * columns / groupSize)
        for i in quants.indices { quants[i] = stream.int8() }
        for i in scales.indices { scales[i] = stream.float() * 0.01 }
        if hasOffsets { for i in offsets.indices { offsets[i] = stream.float() * 0.1 } }
        let matrix = PackedMatrix(rows: rows, columns: columns, groupSize: groupSize, hasOffsets: hasOffsets) {
            row, q, s, o in
            for k in 0..<columns { q[k] = quants[row * columns + k] }
            for g in 0..<columns / groupSize {
                s[g] = scales[row * columns / groupSize + g]
                if hasOffsets { o[g] = offsets[row * columns / groupSize + g] }
            }
        }
        var weights = [Float](repeating: 0, count: rows * columns)
        for row in 0..<rows {
            for k in 0..<columns {
                let g = row * columns / groupSize + k / groupSize
                let q = Float(quants[row * columns + k])
                weights[row * columns + k] = hasOffsets ? q * scales[g] + offsets[g] : q * scales[g]
            }
        }
        return Case(matrix: matrix, weights: weights)
    }

    func makeFloat(rows: Int, columns: Int, seed: UInt64) -> Case {
        var stream = Stream(state: seed)
        var weights = [Float](repeating: 0, count: rows * columns)
        for i in weights.indices { weights[i] = stream.float() }
        let matrix = PackedMatrix(rows: rows, columns: columns) { row, values in
            for k in 0..<columns { values[k] = weights[row * columns + k] }
        }
        return Case(matrix: matrix, weights: weights)
    }

    func inputs(_ count: Int, seed: UInt64) -> [Float] {
        var stream = Stream(state: seed)
        return (0..<count).map { _ in stream.float() }
    }

    /// The kernel's contract, written as plainly as possible: one FMA chain per output.
    func reference(_ c: Case, x: [Float], rowCount: Int) -> [Float] {
        let n = c.matrix.rows, k = c.matrix.columns
        var y = [Float](repeating: 0, count: rowCount * n)
        for m in 0..<rowCount {
            for row in 0..<n {
                var acc: Float = 0
                for j in 0..<k { acc = acc.addingProduct(x[m * k + j], c.weights[row * k + j]) }
                y[m * n + row] = acc
            }
        }
        return y
    }

    func multiply(_ c: Case, x: [Float], rowCount: Int, pool: WorkerPool = .shared) -> [Float] {
        var y = [Float](repeating: .nan, count: rowCount * c.matrix.rows)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                c.matrix.multiply(xp.baseAddress!, rowCount: rowCount, into: yp.baseAddress!, pool: pool)
            }
        }
        return y
    }

    func allCases() -> [(String, Case)] {
        [
            ("int8/32", makeInt8(rows: 96, columns: 64, groupSize: 32, hasOffsets: false, seed: 1)),
            ("int8/16+offsets", makeInt8(rows: 80, columns: 48, groupSize: 16, hasOffsets: true, seed: 2)),
            ("int8/32 odd rows", makeInt8(rows: 37, columns: 96, groupSize: 32, hasOffsets: false, seed: 3)),
            ("int8 one panel", makeInt8(rows: 16, columns: 32, groupSize: 32, hasOffsets: true, seed: 4)),
            ("f32", makeFloat(rows: 50, columns: 23, seed: 5)),
            ("f32 large", makeFloat(rows: 300, columns: 129, seed: 6)),
        ]
    }

    func testMatchesOneFusedChainPerOutputExactly() {
        for (name, c) in allCases() {
            for rowCount in [1, 3, 4, 8, 13, 17] {
                let x = inputs(rowCount * c.matrix.columns, seed: UInt64(rowCount))
                XCTAssertEqual(multiply(c, x: x, rowCount: rowCount), reference(c, x: x, rowCount: rowCount),
                               "\(name), \(rowCount) rows")
            }
        }
    }

    func testRowResultsDoNotDependOnBatchSizeOrPosition() {
        let c = makeInt8(rows: 200, columns: 128, groupSize: 32, hasOffsets: true, seed: 7)
        let k = c.matrix.columns, n = c.matrix.rows
        let all = inputs(130 * k, seed: 99)
        let full = multiply(c, x: all, rowCount: 130)
        for rowCount in [1, 2, 5, 7, 8, 9, 31, 64, 97] {
            for start in [0, 1, 6, 33] where start + rowCount <= 130 {
                let part = Array(all[start * k..<(start + rowCount) * k])
                let y = multiply(c, x: part, rowCount: rowCount)
                XCTAssertEqual(y, Array(full[start * n..<(start + rowCount) * n]),
                               "rows \(start)..<\(start + rowCount)")
            }
        }
    }

    func testSingleThreadAndPoolGiveIdenticalResults() {
        let c = makeInt8(rows: 512, columns: 64, groupSize: 32, hasOffsets: false, seed: 8)
        let x = inputs(9 * 64, seed: 3)
        XCTAssertEqual(multiply(c, x: x, rowCount: 9, pool: WorkerPool(threadCount: 1)),
                       multiply(c, x: x, rowCount: 9, pool: WorkerPool(threadCount: 2)))
    }

    func testAgreesWithOpenBLASWithinRounding() {
        for (name, c) in allCases() {
            let rowCount = 11
            let x = inputs(rowCount * c.matrix.columns, seed: 5)
            let ours = multiply(c, x: x, rowCount: rowCount)
            var blas = [Float](repeating: 0, count: rowCount * c.matrix.rows)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rowCount), Int32(c.matrix.rows),
                        Int32(c.matrix.columns), 1, x, Int32(c.matrix.columns), c.weights,
                        Int32(c.matrix.columns), 0, &blas, Int32(c.matrix.rows))
            for i in ours.indices {
                XCTAssertEqual(ours[i], blas[i], accuracy: 1e-4 * max(1, abs(blas[i])), "\(name) [\(i)]")
            }
        }
    }

    func testStridedInputAndOutput() {
        let c = makeInt8(rows: 48, columns: 32, groupSize: 32, hasOffsets: false, seed: 9)
        let x = inputs(3 * 40, seed: 4)  // rows of 40, first 32 used
        var y = [Float](repeating: -7, count: 3 * 50)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                c.matrix.multiply(xp.baseAddress!, xStride: 40, rowCount: 3, into: yp.baseAddress!, yStride: 50)
            }
        }
        let dense = (0..<3).flatMap { m in x[m * 40..<m * 40 + 32] }
        let expected = reference(c, x: Array(dense), rowCount: 3)
        for m in 0..<3 {
            XCTAssertEqual(Array(y[m * 50..<m * 50 + 48]), Array(expected[m * 48..<(m + 1) * 48]))
            XCTAssertEqual(Array(y[m * 50 + 48..<m * 50 + 50]), [-7, -7], "padding left alone")
        }
    }

    func testRowReturnsTheWeightsTheKernelUses() {
        for (name, c) in allCases() {
            var out = [Float](repeating: 0, count: c.matrix.columns)
            for row in [0, c.matrix.rows / 2, c.matrix.rows - 1] {
                out.withUnsafeMutableBufferPointer { c.matrix.row(row, into: $0.baseAddress!) }
                XCTAssertEqual(out, Array(c.weights[row * c.matrix.columns..<(row + 1) * c.matrix.columns]), name)
            }
        }
    }
}
