import Foundation
import GGUF
import Kernels
import TestSupport
import XCTest

/// Reference values from the real Gemma 3 270M file (facts sheet section 3.1). Skipped when
/// the file is absent, unless JOBS_REQUIRE_MODEL=1.
final class DequantizeRealModelTests: XCTestCase {
    private var file: GGUFFile!

    override func setUpWithError() throws { file = try GGUFFile(path: try RealModel.path()) }
    override func tearDown() { file = nil }

    /// Row `row` of a 2-D tensor, dequantized.
    private func row(_ name: String, _ row: Int) throws -> [Float] {
        let info = try file.requireTensor(name)
        let (type, bytes) = try file.typedData(of: info)
        let rowBytes = type.byteCount(elements: info.rowLength)!
        var out = [Float](repeating: .nan, count: info.rowLength)
        out.withUnsafeMutableBufferPointer {
            Dequantize.row(type, from: bytes.baseAddress! + row * rowBytes, count: info.rowLength, into: $0.baseAddress!)
        }
        return out
    }

    /// Mean, population standard deviation and sum over all values, accumulated in Double.
    private func statistics(_ name: String) throws -> (mean: Double, std: Double, sum: Double) {
        let info = try file.requireTensor(name)
        let (type, bytes) = try file.typedData(of: info)
        let rowBytes = type.byteCount(elements: info.rowLength)!
        var buffer = [Float](repeating: 0, count: info.rowLength)
        var sum = 0.0, sumOfSquares = 0.0
        for r in 0..<info.rowCount {
            buffer.withUnsafeMutableBufferPointer {
                Dequantize.row(type, from: bytes.baseAddress! + r * rowBytes, count: info.rowLength, into: $0.baseAddress!)
            }
            for v in buffer {
                sum += Double(v)
                sumOfSquares += Double(v) * Double(v)
            }
        }
        let n = Double(info.elementCount)
        let mean = sum / n
        return (mean, (sumOfSquares / n - mean * mean).squareRoot(), sum)
    }

    func testRowPrefixesMatchReferenceValues() throws {
        XCTAssertEqual(Array(try row("blk.0.attn_output.weight", 0).prefix(8)),
                       [-0.015705108642578125, 0.04966926574707031, -0.03749656677246094, 0.06056499481201172,
                        -0.004809379577636719, 0.038773536682128906, -0.015705108642578125, 0.0278778076171875])
        XCTAssertEqual(Array(try row("blk.0.ffn_down.weight", 0).prefix(8)),
                       [0.0052117109298706055, 0.02171546220779419, -0.02518993616104126, 0.013897895812988281,
                        0.026927173137664795, -0.015635132789611816, 0.010423421859741211, -0.0017372369766235352])
        XCTAssertEqual(Array(try row("blk.2.ffn_down.weight", 0).prefix(8)),
                       [-0.0167769193649292, -0.004512786865234375, -0.004512786865234375, -0.02086496353149414,
                        0.020015478134155273, -0.037217140197753906, -0.0004247426986694336, 0.01183938980102539])
        XCTAssertEqual(Array(try row("blk.0.attn_q.weight", 0).prefix(8)),
                       [-0.0037841796875, 0.007568359375, -0.01513671875, -0.00567626953125, 0.0113525390625,
                        0.00946044921875, 0.0, -0.00946044921875])
        XCTAssertEqual(Array(try row("blk.0.attn_v.weight", 0).prefix(8)),
                       [0.0060882568359375, -0.03957366943359375, -0.03145599365234375, -0.05682373046875,
                        -0.0426177978515625, 0.0547943115234375, -0.07001495361328125, -0.04769134521484375])
        XCTAssertEqual(Array(try row("token_embd.weight", 2).prefix(8)),
                       [-0.014242410659790039, 0.010566949844360352, 0.013323545455932617, 0.012404680252075195,
                        0.004824042320251465, -0.0032160282135009766, 0.0041348934173583984, 0.0036754608154296875])
        XCTAssertEqual(Array(try row("token_embd.weight", 9259).prefix(4)),
                       [-0.026393890380859375, 0.014996528625488281, -0.035391807556152344, -0.035391807556152344])
        XCTAssertEqual(Array(try row("output_norm.weight", 0).prefix(4)), [7.125, 9.5625, 47.0, 145.0])
        XCTAssertEqual(Array(try row("blk.0.attn_norm.weight", 0).prefix(4)), [16.0, 16.875, 10.8125, 41.5])
    }

    func testQ4KBlockFieldsUnpackToReferenceScalesAndMins() throws {
        let (type, bytes) = try file.typedData(of: file.requireTensor("blk.0.attn_output.weight"))
        XCTAssertEqual(type, .q4_K)
        let block = bytes.baseAddress!
        XCTAssertEqual(Array(UnsafeRawBufferPointer(start: block + 4, count: 12)),
                       [242, 241, 240, 240, 230, 168, 245, 244, 124, 83, 39, 255])
        let d = Float(Float16(bitPattern: block.loadUnaligned(as: UInt16.self)))
        let dmin = Float(Float16(bitPattern: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        XCTAssertEqual(d, 2.1791458e-04, accuracy: 1e-10)
        XCTAssertEqual(dmin, 1.5602112e-03, accuracy: 1e-9)

        var quants = [Int8](repeating: 0, count: 256)
        var scales = [Float](repeating: 0, count: 8), offsets = [Float](repeating: 0, count: 8)
        XCTAssertEqual(Dequantize.unpackBlock(.q4_K, block, quants: &quants, scales: &scales, offsets: &offsets), 32)
        let expected: [(sc: Float, m: Float)] = [(50, 38), (49, 40), (48, 53), (48, 52), (60, 55), (51, 37), (55, 50), (63, 63)]
        XCTAssertEqual(scales, expected.map { d * $0.sc })
        XCTAssertEqual(offsets, expected.map { -(dmin * $0.m) })
        XCTAssertEqual(block.load(fromByteOffset: 16, as: UInt8.self), 132)
        XCTAssertEqual(quants[0], 4)
        XCTAssertEqual(quants[32], 8)
        XCTAssertEqual(scales[0] * Float(quants[0]) + offsets[0], -0.0157051, accuracy: 1e-7)
    }

    func testQ6KBlockHasNegativeScaleAndReferenceSubScales() throws {
        let (type, bytes) = try file.typedData(of: file.requireTensor("blk.0.ffn_down.weight"))
        XCTAssertEqual(type, .q6_K)
        let block = bytes.baseAddress!
        let d = Float(Float16(bitPattern: block.loadUnaligned(fromByteOffset: 208, as: UInt16.self)))
        XCTAssertEqual(d, -1.4722347e-05, accuracy: 1e-11)
        let subScales: [Float] = [59, -86, -76, -104, -103, 90, 101, -67, 83, 87, 112, 104, 56, -128, 82, 82]
        var quants = [Int8](repeating: 0, count: 256)
        var scales = [Float](repeating: 0, count: 16), offsets = [Float](repeating: 0, count: 16)
        XCTAssertEqual(Dequantize.unpackBlock(.q6_K, block, quants: &quants, scales: &scales, offsets: &offsets), 16)
        XCTAssertEqual(scales, subScales.map { d * $0 })
    }

    func testWholeTensorStatisticsMatchReference() throws {
        let cases: [(name: String, mean: Double, std: Double, sum: Double?)] = [
            ("blk.0.attn_output.weight", -2.79705e-06, 0.0376765712, -1.83307618),
            ("blk.0.ffn_down.weight", 4.94400e-06, 0.0215854732, 6.48019361),
            ("blk.2.ffn_down.weight", 2.33382e-06, 0.0163128549, nil),
            ("blk.0.attn_q.weight", -7.88778e-05, 0.0395514961, nil),
            ("blk.0.attn_v.weight", 9.48784e-06, 0.039529967, nil),
        ]
        for c in cases {
            let s = try statistics(c.name)
            XCTAssertEqual(s.mean, c.mean, accuracy: abs(c.mean) * 1e-5, c.name)
            XCTAssertEqual(s.std, c.std, accuracy: c.std * 1e-8, c.name)
            if let sum = c.sum { XCTAssertEqual(s.sum, sum, accuracy: 1e-7, c.name) }
        }
    }

    /// Dequantizes every tensor of the file (~268M values) in chunks of rows, reporting the
    /// time; sampled values must be finite.
    func testDequantizesWholeFileToFiniteValues() throws {
        var buffer = [Float](repeating: 0, count: 1 << 20)
        var values = 0
        var nonFinite = 0
        var seconds = 0.0
        var secondsByType = [TensorType: Double]()
        for info in file.tensors {
            let (type, bytes) = try file.typedData(of: info)
            let rowBytes = type.byteCount(elements: info.rowLength)!
            let rowsPerChunk = max(1, buffer.count / info.rowLength)
            var row = 0
            while row < info.rowCount {
                let rows = min(rowsPerChunk, info.rowCount - row)
                let count = rows * info.rowLength
                buffer.withUnsafeMutableBufferPointer { out in
                    let start = Date()
                    Dequantize.row(type, from: bytes.baseAddress! + row * rowBytes, count: count, into: out.baseAddress!)
                    let elapsed = Date().timeIntervalSince(start)
                    seconds += elapsed
                    secondsByType[type, default: 0] += elapsed
                    // Every 7th value: a full scan costs a minute in an unoptimized test build.
                    var i = 0
                    while i < count {
                        if !out[i].isFinite { nonFinite += 1 }
                        i += 7
                    }
                }
                values += count
                row += rows
            }
        }
        print("Dequantize.row over all \(file.tensors.count) tensors (\(values) values): "
            + String(format: "%.3f s, %.0f M values/s; ", seconds, Double(values) / seconds / 1e6)
            + secondsByType.sorted { $0.value > $1.value }
                .map { "\($0.key) \(String(format: "%.3f", $0.value)) s" }.joined(separator: ", "))
        XCTAssertEqual(values, 268_098_176)
        XCTAssertEqual(nonFinite, 0)
    }
}
