import XCTest
@testable import Kernels
import TestSupport

/// `repacking` packs rows in parallel: its bytes are those of the serial `fill` initializer
/// given the same integers (`Dequantize.unpackBlock`), padding lanes included, in both int8
/// layouts.
final class RepackingTests: XCTestCase {
    func testParallelRepackWritesTheBytesOfTheSerialFill() throws {
        let stacks: [(parts: [(TensorType, Int)], columns: Int)] = [
            ([(.q8_0, 37)], 96), ([(.q8_0, 16 * 70 + 3)], 64), ([(.q4_K, 16), (.q6_K, 21)], 256),
            ([(.q5_0, 40)], 64), ([(.q4_1, 5)], 32), ([(.q5_K, 33)], 512), ([(.q6_K, 16 * 40)], 256),
        ]
        for (index, (parts, columns)) in stacks.enumerated() {
            let stack = BlockPanelTests.Stack(parts, columns: columns, seed: UInt64(index + 300))
            let (groupSize, hasOffsets) = try XCTUnwrap(PackedMatrix.integerGroups(stack.types))
            let (quants, scales, offsets) = stack.integers(groupSize: groupSize)
            let groups = columns / groupSize
            for int8Activations in [false, true] {
                let parallel = try XCTUnwrap(stack.withParts {
                    PackedMatrix.repacking(columns: columns, parts: $0, int8Activations: int8Activations)
                })
                let serial = PackedMatrix(rows: stack.totalRows, columns: columns, groupSize: groupSize,
                                          hasOffsets: hasOffsets, int8Activations: int8Activations) { row, q, s, o in
                    for k in 0..<columns { q[k] = quants[row * columns + k] }
                    for g in 0..<groups {
                        s[g] = scales[row * groups + g]
                        o[g] = offsets[row * groups + g]
                    }
                }
                XCTAssertEqual(parallel.format, serial.format)
                XCTAssertEqual(Array(UnsafeRawBufferPointer(start: parallel.storage, count: parallel.byteCount)),
                               Array(UnsafeRawBufferPointer(start: serial.storage, count: serial.byteCount)),
                               "\(parts), int8 activations \(int8Activations)")
            }
        }
    }
}
