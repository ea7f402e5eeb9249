import Kernels

/// How activations meet integer-quantized weights in the decoder's matrix products.
public enum MatrixActivations: String, Sendable, CaseIterable {
    /// Each row of activations is quantized to int8 per group of 32 before it meets integer
    /// weights, and the products run as integer dot products (AVX-512 VNNI, or AVX2), as llama.cpp does
    /// (it uses Q8_0 groups of 32 and Q8_K groups of 256); 2-3x faster than `float32` (`jobs
    /// bench --only gemm`). F32/F16/BF16 weights, and AVX-512 CPUs without VNNI, use f32 activations.
    case int8
    /// Activations stay f32 everywhere: exact products of the dequantized weights, as the numpy
    /// reference computes them.
    case float32

    /// What loading uses unless told otherwise.
    public static let `default`: MatrixActivations = .int8

    /// Whether this CPU runs `int8` as described (else it falls back to `float32`).
    public static var int8Supported: Bool { PackedMatrix.int8DotAvailable }
}
