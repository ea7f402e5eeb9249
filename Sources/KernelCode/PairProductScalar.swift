// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2) and for
// AVX-512 BF16 (BF16Kernels), beside each module's own `PairProduct`.

extension PairProduct {
    /// One lane of `accumulate` (the block sizes off the vector path): acc + a.high · b.high,
    /// rounded, + a.low · b.low, rounded; each product of two bf16 is exact in f32, so the fused
    /// multiply-adds round where `vdpbf16ps`'s additions do.
    @inline(__always)
    static func scalar(_ acc: Float, _ a: UInt32, _ b: UInt32) -> Float {
        acc.addingProduct(Float(bitPattern: a & 0xFFFF_0000), Float(bitPattern: b & 0xFFFF_0000))
            .addingProduct(Float(bitPattern: a << 16), Float(bitPattern: b << 16))
    }
}
