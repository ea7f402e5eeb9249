import Kernels
import TestSupport
import XCTest

final class DequantizeTests: XCTestCase {
    private static let quantizedTypes: [TensorType] = [.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K]

    private func dequantize(_ type: TensorType, _ bytes: [UInt8], count: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { Dequantize.row(type, from: raw.baseAddress!, count: count, into: $0.baseAddress!) }
        }
        return out
    }

    func testMatchesGGUFPyBitForBitOnFixtureBlocks() {
        XCTAssertEqual(Set(dequantizeFixtures.map(\.type)), Set(TensorType.allCases.filter(\.isSupported)))
        for fixture in dequantizeFixtures {
            let values = dequantize(fixture.type, fixture.bytes, count: fixture.expectedBits.count)
            var mismatches = 0
            for (i, (value, expected)) in zip(values, fixture.expectedBits).enumerated() {
                let expectedValue = Float(bitPattern: expected)
                // NaN payloads (quieting) may differ between conversions; NaN-ness must not.
                let same = expectedValue.isNaN ? value.isNaN : value.bitPattern == expected
                if !same, mismatches < 5 {
                    XCTFail("\(fixture.type) element \(i): got \(value) (0x\(String(value.bitPattern, radix: 16))), "
                        + "expected \(expectedValue) (0x\(String(expected, radix: 16)))")
                }
                if !same { mismatches += 1 }
            }
            XCTAssertEqual(mismatches, 0, "\(fixture.type)")
        }
    }

    func testHalfConversionKeepsSubnormalsInfinitiesAndNaN() {
        let bits: [UInt16] = [0x0001, 0x03FF, 0x0400, 0x8000, 0x7BFF, 0x7C00, 0xFC00, 0x7E00, 0x3C00]
        let values = dequantize(.f16, bits.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, count: bits.count)
        XCTAssertEqual(values[0], 0x1p-24)
        XCTAssertEqual(values[1], 1023 * 0x1p-24)
        XCTAssertEqual(values[2], 0x1p-14)
        XCTAssertEqual(values[3].bitPattern, (-0.0 as Float).bitPattern)
        XCTAssertEqual(values[4], 65504)
        XCTAssertEqual(values[5], .infinity)
        XCTAssertEqual(values[6], -.infinity)
        XCTAssertTrue(values[7].isNaN)
        XCTAssertEqual(values[8], 1)
    }

    func testUnpackBlockReproducesRowBitForBit() {
        var rng = SplitMix64(seed: 7)
        for type in Self.quantizedTypes {
            let blockCount = 64
            var bytes = RandomBlocks.make(type, blockCount: blockCount, using: &rng)
            // Edge cases: a zero scale (signed-zero products) and a block of all-zero quants.
            bytes.replaceSubrange(0..<type.blockBytes, with: [UInt8](repeating: 0, count: type.blockBytes))
            let n = type.blockElements
            let expected = dequantize(type, bytes, count: blockCount * n)
            let sub = Dequantize.subBlockSize(type)
            var quants = [Int8](repeating: 0, count: n)
            var scales = [Float](repeating: .nan, count: n / sub)
            var offsets = [Float](repeating: .nan, count: n / sub)
            let range = Self.quantRange(type)
            var mismatches = 0
            bytes.withUnsafeBytes { raw in
                for block in 0..<blockCount {
                    let returned = Dequantize.unpackBlock(type, raw.baseAddress! + block * type.blockBytes,
                                                          quants: &quants, scales: &scales, offsets: &offsets)
                    XCTAssertEqual(returned, sub)
                    for i in 0..<n {
                        XCTAssertTrue(range.contains(quants[i]), "\(type) quant \(quants[i]) outside \(range)")
                        let plain = scales[i / sub] * Float(quants[i]) + offsets[i / sub]
                        if plain.bitPattern != expected[block * n + i].bitPattern { mismatches += 1 }
                        if offsets[i / sub].bitPattern == (-0.0 as Float).bitPattern {
                            // Symmetric types promise the same bits through a fused multiply-add.
                            let fused = offsets[i / sub].addingProduct(scales[i / sub], Float(quants[i]))
                            if fused.bitPattern != expected[block * n + i].bitPattern { mismatches += 1 }
                        }
                    }
                }
            }
            XCTAssertEqual(mismatches, 0, "\(type)")
        }
    }

    func testUnpackBlockMatchesFixtureBlocks() {
        for fixture in dequantizeFixtures where Self.quantizedTypes.contains(fixture.type) {
            let type = fixture.type
            let n = type.blockElements
            let sub = Dequantize.subBlockSize(type)
            var quants = [Int8](repeating: 0, count: n)
            var scales = [Float](repeating: .nan, count: n / sub)
            var offsets = [Float](repeating: .nan, count: n / sub)
            fixture.bytes.withUnsafeBytes { raw in
                for block in 0..<fixture.bytes.count / type.blockBytes {
                    Dequantize.unpackBlock(type, raw.baseAddress! + block * type.blockBytes,
                                           quants: &quants, scales: &scales, offsets: &offsets)
                    for i in 0..<n {
                        let value = scales[i / sub] * Float(quants[i]) + offsets[i / sub]
                        XCTAssertEqual(value.bitPattern, fixture.expectedBits[block * n + i], "\(type) block \(block) [\(i)]")
                    }
                }
            }
        }
    }

    func testRowReadsUnalignedSources() {
        var rng = SplitMix64(seed: 9)
        for type in TensorType.allCases where type.isSupported {
            let count = 2 * max(type.blockElements, 32)
            let bytes = RandomBlocks.make(type, blockCount: count / type.blockElements, using: &rng)
            let aligned = dequantize(type, bytes, count: count)
            var unaligned = [Float](repeating: .nan, count: count)
            let padded: [UInt8] = [0xAA] + bytes
            padded.withUnsafeBytes { raw in
                unaligned.withUnsafeMutableBufferPointer {
                    Dequantize.row(type, from: raw.baseAddress! + 1, count: count, into: $0.baseAddress!)
                }
            }
            XCTAssertEqual(unaligned.map(\.bitPattern), aligned.map(\.bitPattern), "\(type)")
        }
    }

    private static func quantRange(_ type: TensorType) -> ClosedRange<Int8> {
        switch type {
        case .q8_0: return -128...127
        case .q4_0: return -8...7
        case .q5_0: return -16...15
        case .q4_1, .q4_K: return 0...15
        case .q5_1, .q5_K: return 0...31
        case .q6_K: return -32...31
        default: return 0...0
        }
    }
}
