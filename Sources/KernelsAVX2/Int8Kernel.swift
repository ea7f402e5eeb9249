import KernelInterface
import AVX2Int8Kernels

/// The AVX2 level's int8 products: `vpmaddubsw` + `vpmaddwd` with the sign trick (weights stored
/// signed), available on every CPU of the level.
enum Int8Kernel {
    static let available = true
    static let weightBias = 0
    /// Up to this many rows, block panels are multiplied from their bits (`multiplyInRegisters`);
    /// from more rows on, unpacking a panel once and reusing it is cheaper (even at 4 rows on
    /// Qwen 0.5B, alternating).
    static let inRegisterRows = 4

    static func quantize(_ into: Int8DotOperands.ActivationRows, x: UnsafePointer<Float>, stride: Int, columns: Int,
                         rows: Range<Int>) {
        AVX2Int8.quantize(into, x: x, stride: stride, columns: columns, rows: rows)
    }

    static func multiply(_ operands: Int8DotOperands, panels: Range<Int>, rows: Range<Int>) {
        AVX2Int8.multiply(operands, panels: panels, rows: rows)
    }

    /// Products of a `BlockPanelMatrix` panel straight from its bits (`BlockDotProduct`), rows
    /// 2 at a time.
    static func multiplyInRegisters(_ matrix: BlockPanelMatrix, panel: Int, x: Int8DotOperands.ActivationRows,
                                    y: UnsafeMutablePointer<Float>, yStride: Int, rows: Range<Int>) {
        BlockDotProduct.multiply(matrix, panel: panel, x: x, y: y, yStride: yStride, rows: rows, tileRows: 2)
    }
}
