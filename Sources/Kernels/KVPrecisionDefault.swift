extension KVPrecision {
    /// The KV cache format when `--kv-type` is not given: `preferred(pairProductInstruction:)`
    /// for the selected kernel level on this CPU (bf16 with AVX-512 BF16, else f16); f16 where
    /// no level runs, so that help texts still read on such a CPU.
    public static let `default`: KVPrecision = {
        guard case let .success(level) = KernelLevel.selected else { return .f16 }
        return preferred(pairProductInstruction: level.kernels.pairProductInstruction)
    }()
}
