import KernelInterface
import VNNIKernels

/// The AVX-512 level's int8 products: AVX-512 VNNI (`vpdpbusd`) where the CPU has it. Without
/// VNNI, matrices keep f32 activations (`PackedMatrix` packs them for `multiplyPanels`).
enum Int8Kernel {
    static let available = CPUCapabilities.current.avx512vnni
    static let weightBias = 128

    static func quantize(_ into: Int8DotOperands.ActivationRows, x: UnsafePointer<Float>, stride: Int, columns: Int,
                         rows: Range<Int>) {
        precondition(available, "int8 activations need AVX-512 VNNI")
        VNNIInt8.quantize(into, x: x, stride: stride, columns: columns, rows: rows)
    }

    static func multiply(_ operands: Int8DotOperands, panels: Range<Int>, rows: Range<Int>) {
        precondition(available, "int8 activations need AVX-512 VNNI")
        VNNIInt8.multiply(operands, panels: panels, rows: rows)
    }
}
