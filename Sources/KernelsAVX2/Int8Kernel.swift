import KernelInterface
import AVX2Int8Kernels

/// The AVX2 level's int8 products: `vpmaddubsw` + `vpmaddwd` with the sign trick (weights stored
/// signed), available on every CPU of the level.
enum Int8Kernel {
    static let available = true
    static let weightBias = 0

    static func quantize(_ into: Int8DotOperands.ActivationRows, x: UnsafePointer<Float>, stride: Int, columns: Int,
                         rows: Range<Int>) {
        AVX2Int8.quantize(into, x: x, stride: stride, columns: columns, rows: rows)
    }

    static func multiply(_ operands: Int8DotOperands, panels: Range<Int>, rows: Range<Int>) {
        AVX2Int8.multiply(operands, panels: panels, rows: rows)
    }
}
