import BF16Kernels
import KernelInterface

/// bf16 attention at this level: AVX-512 BF16's `vdpbf16ps` where the CPU has it (Zen 4 and
/// newer, Cooper Lake, Sapphire Rapids and newer), the same pair products emulated elsewhere.
enum LevelPairAttention {
    static let instruction = CPUCapabilities.current.avx512bf16

    static func attend(_ tile: AttentionTile) {
        if instruction { BF16Attention.attend(tile) } else { PairAttention.attend(tile) }
    }

    static func attendEmulated(_ tile: AttentionTile) { PairAttention.attend(tile) }
}
