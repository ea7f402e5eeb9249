import KernelInterface
import VNNIKernels

/// The AVX-512 level's int8 products: AVX-512 VNNI (`vpdpbusd`) where the CPU has it. Without
/// VNNI, matrices keep f32 activations (`PackedMatrix` packs them for `multiplyPanels`).
enum Int8Kernel {
    static let available = CPUCapabilities.current.avx512vnni
    static let weightBias = 128
    /// Up to this many rows, block panels are multiplied from their bits (`multiplyInRegisters`);
    /// from more rows on, unpacking a panel once and reusing it is cheaper (Qwen 0.5B, engine
    /// steps of 4 / 8 / 16 sequences, alternating: even at 4, unpacking 5% faster at 8 and
    /// 10–20% at 16).
    static let inRegisterRows = 4

    static func quantize(_ into: Int8DotOperands.ActivationRows, x: UnsafePointer<Float>, stride: Int, columns: Int,
                         rows: Range<Int>) {
        precondition(available, "int8 activations need AVX-512 VNNI")
        VNNIInt8.quantize(into, x: x, stride: stride, columns: columns, rows: rows)
    }

    static func multiply(_ operands: Int8DotOperands, panels: Range<Int>, rows: Range<Int>) {
        precondition(available, "int8 activations need AVX-512 VNNI")
        VNNIInt8.multiply(operands, panels: panels, rows: rows)
    }

    /// Products of a `BlockPanelMatrix` panel straight from its bits (`BlockDotProduct`), rows
    /// 4 at a time.
    static func multiplyInRegisters(_ matrix: BlockPanelMatrix, panel: Int, x: Int8DotOperands.ActivationRows,
                                    y: UnsafeMutablePointer<Float>, yStride: Int, rows: Range<Int>) {
        precondition(available, "int8 activations need AVX-512 VNNI")
        BlockDotProduct.multiply(matrix, panel: panel, x: x, y: y, yStride: yStride, rows: rows, tileRows: 4)
    }
}
