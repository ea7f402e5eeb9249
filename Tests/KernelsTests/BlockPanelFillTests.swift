import XCTest
@testable import Kernels
import KernelInterface
import TestSupport

/// The bytes `keepingBlocks` packs (`BlockPanelFill`, word operations on the blocks' bits)
/// are the `BlockPanelMatrix` layout written out weight by weight from `Dequantize.unpackBlock`'s
/// integer quants, on every block format, full and partial panels, stacked parts.
final class BlockPanelFillTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(PackedMatrix.int8DotAvailable, "this kernel level has no int8 products (AVX-512 without VNNI)")
    }

    /// Every format alone (Q8_0 only stacked: alone it keeps the int8 repack), with row counts
    /// that end on a panel, inside one, or fill less than one; and stacks as the loader makes.
    static let stacks: [(parts: [(TensorType, Int)], columns: Int)] = [
        ([(.q4_0, 37)], 96), ([(.q4_1, 16)], 64), ([(.q5_0, 5)], 128), ([(.q5_1, 33)], 96),
        ([(.q4_K, 37)], 512), ([(.q5_K, 40)], 256), ([(.q6_K, 21)], 768), ([(.q6_K, 32)], 256),
        ([(.q4_K, 3)], 256), ([(.q5_K, 17)], 512),
        ([(.q4_0, 16), (.q8_0, 21)], 64), ([(.q8_0, 32), (.q5_1, 16)], 96),
        ([(.q5_0, 32), (.q5_0, 16), (.q8_0, 16)], 256), ([(.q4_K, 16), (.q5_0, 32), (.q8_0, 5)], 256),
        ([(.q6_K, 16), (.q8_0, 16), (.q4_0, 7)], 256), ([(.q4_K, 48), (.q5_K, 16), (.q4_K, 9)], 512),
        // No shared group shape (each panel keeps its own): the bytes are the same layout.
        ([(.q4_K, 32), (.q6_K, 16), (.q8_0, 16), (.q5_1, 5)], 256),
    ]

    func testPackedBytesAreTheLayoutWrittenWeightByWeight() throws {
        for (index, (parts, columns)) in Self.stacks.enumerated() {
            for seed in 0..<3 {
                let stack = BlockPanelTests.Stack(parts, columns: columns, seed: UInt64(1000 * index + seed))
                let matrix = try XCTUnwrap(stack.blocks(), "\(parts)")
                let expected = Self.referencePanels(stack)
                XCTAssertEqual(matrix.byteCount, expected.count, "\(parts)")
                let packed = Array(UnsafeRawBufferPointer(start: matrix.storage, count: matrix.byteCount))
                if packed != expected {
                    let first = packed.indices.first { packed[$0] != expected[$0] } ?? -1
                    XCTFail("\(parts), \(columns) columns, seed \(seed): first differing byte \(first)")
                }
            }
        }
    }

    func testPackingDoesNotDependOnThreadsOrPanelRanges() throws {
        let stack = BlockPanelTests.Stack([(.q5_0, 64), (.q6_K, 32), (.q4_0, 9)], columns: 512, seed: 77)
        let shared = try XCTUnwrap(stack.blocks())
        let bytes = Array(UnsafeRawBufferPointer(start: shared.storage, count: shared.byteCount))
        // 0: no pool, panels one at a time, last first.
        for threads in [0, 1, 2, 3] {
            let again = try XCTUnwrap(stack.withParts { parts -> PackedMatrix? in
                guard case let .blocks(sharedGroups) = shared.format else { return nil }
                let formats = (0..<shared.panelCount).map { shared.blockFormats![$0] }
                let matrix = PackedMatrix(rows: shared.rows, columns: shared.columns, sharedGroups: sharedGroups,
                                          panelFormats: formats)
                let fill = BlockPanelFill(matrix: matrix, parts: parts, columns: shared.columns)
                if threads == 0 {
                    for panel in (0..<matrix.panelCount).reversed() { fill.fill(panels: panel..<panel + 1) }
                } else {
                    fill.run(pool: WorkerPool(threadCount: threads))
                }
                return matrix
            })
            XCTAssertEqual(Array(UnsafeRawBufferPointer(start: again.storage, count: again.byteCount)), bytes,
                           "\(threads) threads")
        }
    }

    /// The `BlockPanelMatrix` layout of `stack`, one weight at a time: quants as the file keeps
    /// them (`unpackBlock`'s signed quant plus the format's zero point), nibbles, high bits and
    /// scale fields at the offsets the layout documents; lanes past the last row zero.
    static func referencePanels(_ stack: BlockPanelTests.Stack) -> [UInt8] {
        let columns = stack.columns
        var out: [UInt8] = []
        var quants = [Int8](repeating: 0, count: 256), scales = [Float](repeating: 0, count: 16), offsets = scales
        for (index, type) in stack.types.enumerated() {
            let format = PackedMatrix.blockFormat(type)!
            let rowBytes = type.byteCount(elements: columns)!
            let rows = stack.rows[index]
            stack.data[index].withUnsafeBytes { raw in
                for panel in 0..<(rows + 15) / 16 {
                    for u in 0..<columns / format.unitColumns {
                        var unit = [UInt8](repeating: 0, count: format.unitBytes)
                        for lane in 0..<min(16, rows - 16 * panel) {
                            let block = raw.baseAddress! + (16 * panel + lane) * rowBytes + u * type.blockBytes
                            Dequantize.unpackBlock(type, block, quants: &quants, scales: &scales, offsets: &offsets)
                            writeQuants(format, quants, lane: lane, into: &unit)
                            writeScales(format, block, lane: lane, into: &unit)
                        }
                        out += unit
                    }
                }
            }
        }
        return out
    }

    static func writeQuants(_ format: BlockPanelMatrix.Format, _ quants: [Int8], lane: Int, into unit: inout [UInt8]) {
        for column in 0..<format.unitColumns {
            let stored = UInt8(truncatingIfNeeded: Int(quants[column]) + format.zeroPoint)
            let chunk = column / 32 * format.quantBytes, i = column % 32
            if format == .q8_0 {
                unit[chunk + 64 * (i / 4) + 4 * lane + i % 4] = stored
                continue
            }
            let position = chunk + 64 * (i % 16 / 4) + 4 * lane + i % 4
            unit[position] |= i < 16 ? stored & 0x0F : (stored & 0x0F) << 4
            let fifthAndSixth = stored >> 4
            switch format.highBits {
            case 1:
                unit[chunk + 256 + 4 * lane + i % 4] |= (fifthAndSixth & 1) << (i / 4)
            case 2:
                unit[chunk + 256 + 64 * (i / 16) + 4 * lane + i % 4] |= (fifthAndSixth & 3) << (2 * (i % 16 / 4))
            default:
                precondition(fifthAndSixth == 0)
            }
        }
    }

    static func writeScales(_ format: BlockPanelMatrix.Format, _ block: UnsafeRawPointer, lane: Int, into unit: inout [UInt8]) {
        let header = format.unitColumns / 32 * format.quantBytes
        func byte(_ offset: Int) -> UInt8 { block.load(fromByteOffset: offset, as: UInt8.self) }
        func half(from: Int, to: Int) {
            unit[header + to + 2 * lane] = byte(from)
            unit[header + to + 2 * lane + 1] = byte(from + 1)
        }
        switch format {
        case .q8_0, .q4_0, .q5_0:
            half(from: 0, to: 0)
        case .q4_1, .q5_1:
            half(from: 0, to: 0)
            half(from: 2, to: 32)
        case .q4_K, .q5_K:
            // ggml's get_scale_min_k4 over the 12 bytes at 4.
            for j in 0..<8 {
                let scale = j < 4 ? byte(4 + j) & 63 : (byte(4 + j + 4) & 0x0F) | (byte(4 + j - 4) >> 6) << 4
                let min = j < 4 ? byte(4 + j + 4) & 63 : (byte(4 + j + 4) >> 4) | (byte(4 + j) >> 6) << 4
                unit[header + 16 * j + lane] = scale
                unit[header + 128 + 16 * j + lane] = min
            }
            half(from: 0, to: 256)
            half(from: 2, to: 288)
        case .q6_K:
            for s in 0..<16 { unit[header + 16 * s + lane] = byte(192 + s) }
            half(from: 208, to: 256)
        }
    }
}
