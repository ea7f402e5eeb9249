import KernelInterface

/// `PairAttention` compiled for AVX-512 BF16 (`vdpbf16ps`, `-target-cpu cooperlake`). Call it
/// only where `CPUCapabilities.current.avx512bf16`; elsewhere the levels run the same source
/// with the pair product emulated.
public enum BF16Attention {
    public static func attend(_ tile: AttentionTile) {
        PairAttention.attend(tile)
    }
}
