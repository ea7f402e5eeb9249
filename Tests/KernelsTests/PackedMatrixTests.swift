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

/// `.int8Dot`: activations quantized to int8 per row and group of 32, integer dot products.
final class PackedMatrixInt8DotTests: XCTestCase {
    typealias Stream = PackedMatrixTests.Stream

    struct Case {
        let matrix: PackedMatrix
        let rows: Int
        let columns: Int
        var groupSize = 32
        var hasOffsets = false
        let quants: [Int8]
        let scales: [Float]
        var offsets: [Float] = []
    }

    override func setUpWithError() throws {
        try XCTSkipUnless(PackedMatrix.int8DotAvailable, "this kernel level has no int8 products (AVX-512 without VNNI)")
    }

    func make(rows: Int, columns: Int, groupSize: Int = 32, hasOffsets: Bool = false, seed: UInt64) -> Case {
        var stream = Stream(state: seed)
        let quants = (0..<rows * columns).map { _ in stream.int8() }
        let groups = columns / groupSize
        let scales = (0..<rows * groups).map { _ in stream.float() * 0.01 }
        let offsets = (0..<rows * groups).map { _ in hasOffsets ? stream.float() * 0.1 : 0 }
        let matrix = PackedMatrix(rows: rows, columns: columns, groupSize: groupSize, hasOffsets: hasOffsets,
                                  int8Activations: true) { row, q, s, o in
            for k in 0..<columns { q[k] = quants[row * columns + k] }
            for g in 0..<groups {
                s[g] = scales[row * groups + g]
                if hasOffsets { o[g] = offsets[row * groups + g] }
            }
        }
        XCTAssertEqual(matrix.format, .int8Dot(groupSize: groupSize, hasOffsets: hasOffsets))
        return Case(matrix: matrix, rows: rows, columns: columns, groupSize: groupSize, hasOffsets: hasOffsets,
                    quants: quants, scales: scales, offsets: offsets)
    }

    func inputs(_ count: Int, seed: UInt64, magnitude: Float = 3) -> [Float] {
        var stream = Stream(state: seed)
        return (0..<count).map { _ in stream.float() * magnitude }
    }

    /// The contract written out plainly: quantize a group of 32 (scale max|x|/127, round half
    /// away from zero), exact integer sum per weight group, then one fused chain over the
    /// groups in order (and, with offsets, the offset times the scaled sum of the quants).
    func reference(_ c: Case, x: [Float], rowCount: Int) -> [Float] {
        let k = c.columns, groups = k / 32, weightGroups = k / c.groupSize
        var y = [Float](repeating: 0, count: rowCount * c.rows)
        for m in 0..<rowCount {
            var q = [Int32](repeating: 0, count: k)
            var d = [Float](repeating: 0, count: groups)
            for g in 0..<groups {
                let values = x[m * k + g * 32..<m * k + g * 32 + 32]
                let largest = values.map(abs).max()!
                d[g] = largest / 127
                let inverse: Float = d[g] == 0 ? 0 : 1 / d[g]
                for j in 0..<32 { q[g * 32 + j] = Int32((values[values.startIndex + j] * inverse).rounded()) }
            }
            for n in 0..<c.rows {
                var acc: Float = 0
                for g in 0..<weightGroups {
                    let range = g * c.groupSize..<(g + 1) * c.groupSize, g32 = g * c.groupSize / 32
                    var sum: Int32 = 0
                    for j in range { sum += Int32(c.quants[n * k + j]) * q[j] }
                    acc = acc.addingProduct(Float(sum) * c.scales[n * weightGroups + g], d[g32])
                    if c.hasOffsets {
                        let quantSum = q[g32 * 32..<g32 * 32 + 32].reduce(0, +)
                        acc = acc.addingProduct(c.offsets[n * weightGroups + g], d[g32] * Float(quantSum))
                    }
                }
                y[m * c.rows + n] = acc
            }
        }
        return y
    }

    func multiply(_ c: Case, x: [Float], rowCount: Int, pool: WorkerPool = .shared) -> [Float] {
        var y = [Float](repeating: .nan, count: rowCount * c.rows)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                c.matrix.multiply(xp.baseAddress!, rowCount: rowCount, into: yp.baseAddress!, pool: pool)
            }
        }
        return y
    }

    func testMatchesQuantizedIntegerDotProductsExactly() {
        for (groupSize, hasOffsets) in [(32, false), (32, true), (16, false)] {
            for (rows, columns) in [(96, 64), (37, 96), (16, 32), (300, 160), (8, 640)] {
                let c = make(rows: rows, columns: columns, groupSize: groupSize, hasOffsets: hasOffsets, seed: UInt64(rows))
                for rowCount in [1, 2, 3, 5, 6, 7, 13, 64, 100] {
                    let x = inputs(rowCount * columns, seed: UInt64(rowCount))
                    XCTAssertEqual(multiply(c, x: x, rowCount: rowCount), reference(c, x: x, rowCount: rowCount),
                                   "groups of \(groupSize)\(hasOffsets ? " with offsets" : ""), \(rows)×\(columns), \(rowCount) rows")
                }
            }
        }
    }

    func testEdgeGroupsQuantizeAsSpecified() {
        let c = make(rows: 48, columns: 128, hasOffsets: true, seed: 5)
        var x = [Float](repeating: 0, count: 3 * 128)       // row 0 group 0: all zero (scale 0)
        x[32] = -1e-30                                      // a lone tiny value
        x[64] = 1000; x[65] = -1000; x[66] = 0.5            // extremes: ±127 and a rounded-away small one
        for j in 0..<128 { x[128 + j] = Float(j % 7) - 2.5 }  // row 1: ties (scale 1 with the 127s)
        for g in 0..<4 { x[128 + g * 32 + 31] = 127 }
        for j in 0..<128 { x[256 + j] = j.isMultiple(of: 2) ? 1e6 : -1e-6 }
        XCTAssertEqual(multiply(c, x: x, rowCount: 3), reference(c, x: x, rowCount: 3))
    }

    func testRowResultsDoNotDependOnBatchSizeOrPosition() {
        let c = make(rows: 200, columns: 128, groupSize: 16, seed: 7)
        let k = c.columns, n = c.rows
        let all = inputs(130 * k, seed: 99)
        let full = multiply(c, x: all, rowCount: 130)
        for rowCount in [1, 2, 5, 6, 7, 8, 31, 64, 97] {
            for start in [0, 1, 6, 33] where start + rowCount <= 130 {
                let part = Array(all[start * k..<(start + rowCount) * k])
                XCTAssertEqual(multiply(c, x: part, rowCount: rowCount), Array(full[start * n..<(start + rowCount) * n]),
                               "rows \(start)..<\(start + rowCount)")
            }
        }
        XCTAssertEqual(multiply(c, x: all, rowCount: 130, pool: WorkerPool(threadCount: 1)), full, "one thread")
    }

    func testStaysWithinTheQuantizationErrorOfFloatActivations() {
        var stream = Stream(state: 3)
        let quants = (0..<64 * 640).map { _ in stream.int8() }
        let scales = (0..<64 * 20).map { _ in 0.001 + abs(stream.float()) * 0.01 }
        func packed(_ int8Activations: Bool) -> PackedMatrix {
            PackedMatrix(rows: 64, columns: 640, groupSize: 32, hasOffsets: false, int8Activations: int8Activations) {
                row, q, s, _ in
                for k in 0..<640 { q[k] = quants[row * 640 + k] }
                for g in 0..<20 { s[g] = scales[row * 20 + g] }
            }
        }
        let exact = Case(matrix: packed(false), rows: 64, columns: 640, quants: quants, scales: scales)
        let dot = Case(matrix: packed(true), rows: 64, columns: 640, quants: quants, scales: scales)
        XCTAssertEqual(exact.matrix.format, .int8(groupSize: 32, hasOffsets: false))
        let x = inputs(4 * 640, seed: 8)
        let floatY = multiply(exact, x: x, rowCount: 4), int8Y = multiply(dot, x: x, rowCount: 4)
        // Each activation moves by at most half a step (max|x| of its group / 254).
        for m in 0..<4 {
            for n in 0..<64 {
                var bound: Float = 0
                for g in 0..<20 {
                    let group = x[m * 640 + g * 32..<m * 640 + g * 32 + 32]
                    let step = group.map(abs).max()! / 254
                    for j in 0..<32 { bound += step * abs(Float(quants[n * 640 + g * 32 + j]) * scales[n * 20 + g]) }
                }
                let difference = abs(floatY[m * 64 + n] - int8Y[m * 64 + n])
                XCTAssertLessThanOrEqual(difference, bound * 1.001 + 1e-5, "[\(m), \(n)]")
                XCTAssertGreaterThan(bound, 0)
            }
        }
        XCTAssertNotEqual(floatY, int8Y, "int8 activations must actually be used")
    }

    func testRowReturnsTheWeightsTheKernelUses() {
        for (groupSize, hasOffsets) in [(32, false), (32, true), (16, false)] {
            let c = make(rows: 37, columns: 96, groupSize: groupSize, hasOffsets: hasOffsets, seed: 11)
            let groups = 96 / groupSize
            var out = [Float](repeating: 0, count: 96)
            for row in [0, 15, 16, 36] {
                out.withUnsafeMutableBufferPointer { c.matrix.row(row, into: $0.baseAddress!) }
                XCTAssertEqual(out, (0..<96).map { k in
                    let g = row * groups + k / groupSize
                    let product = Float(c.quants[row * 96 + k]) * c.scales[g]
                    return hasOffsets ? product + c.offsets[g] : product
                })
            }
        }
    }

    func testOffsetsOnGroupsOf16OrPartialGroupsOf32KeepFloatActivations() {
        let sixteenWithOffsets = PackedMatrix(rows: 16, columns: 32, groupSize: 16, hasOffsets: true, int8Activations: true) {
            _, _, _, _ in
        }
        let partial = PackedMatrix(rows: 16, columns: 48, groupSize: 16, hasOffsets: false, int8Activations: true) {
            _, _, _, _ in
        }
        XCTAssertEqual(sixteenWithOffsets.format, .int8(groupSize: 16, hasOffsets: true))
        XCTAssertEqual(partial.format, .int8(groupSize: 16, hasOffsets: false))
        XCTAssertFalse(partial.takesInt8Activations)
    }
}
