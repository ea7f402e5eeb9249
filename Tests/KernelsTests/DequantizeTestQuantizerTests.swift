import Kernels
import TestSupport
import XCTest

/// The test-support quantizers that tiny test models are built with: quantized then
/// dequantized values must land within the type's rounding error of the input.
final class DequantizeTestQuantizerTests: XCTestCase {
    func testQuantizedValuesDequantizeWithinRoundingError() {
        var rng = SplitMix64(seed: 11)
        let values = (0..<32 * 64).map { _ in rng.nextGaussian() * 0.05 }
        for type in TestQuantizer.quantizableTypes {
            let bytes = TestQuantizer.quantize(values, as: type)
            XCTAssertEqual(bytes.count, type.byteCount(elements: values.count), "\(type)")
            var decoded = [Float](repeating: .nan, count: values.count)
            bytes.withUnsafeBytes { raw in
                decoded.withUnsafeMutableBufferPointer {
                    Dequantize.row(type, from: raw.baseAddress!, count: values.count, into: $0.baseAddress!)
                }
            }
            for block in stride(from: 0, to: values.count, by: 32) {
                let x = values[block..<block + 32]
                let amax = x.map(abs).max()!
                let range = x.max()! - x.min()!
                // One quantization step, per type; the extremes of Q4_0/Q5_0 may clip by a full step.
                let bound: Float
                switch type {
                case .f32: bound = 0
                case .f16: bound = amax * 0x1p-11
                case .bf16: bound = amax * 0x1p-8
                case .q8_0: bound = 0.6 * amax / 127
                case .q4_0: bound = 1.05 * amax / 8
                case .q5_0: bound = 1.05 * amax / 16
                case .q4_1: bound = 0.6 * range / 15 + amax * 0x1p-10
                default: bound = 0.6 * range / 31 + amax * 0x1p-10
                }
                for i in block..<block + 32 {
                    XCTAssertLessThanOrEqual(abs(decoded[i] - values[i]), bound, "\(type) [\(i)]")
                }
            }
        }
    }

    func testConstantBlocksRoundTripExactlyWhereTheTypeCanRepresentThem() {
        let zeros = [Float](repeating: 0, count: 32)
        for type in TestQuantizer.quantizableTypes {
            let bytes = TestQuantizer.quantize(zeros, as: type)
            var decoded = [Float](repeating: .nan, count: 32)
            bytes.withUnsafeBytes { raw in
                decoded.withUnsafeMutableBufferPointer { Dequantize.row(type, from: raw.baseAddress!, count: 32, into: $0.baseAddress!) }
            }
            XCTAssertEqual(decoded, zeros, "\(type)")
        }
    }
}
