import KernelInterface

/// bf16 attention at this level: the pair products emulated (no AVX2 CPU has AVX-512 BF16).
enum LevelPairAttention {
    static let instruction = false

    static func attend(_ tile: AttentionTile) { PairAttention.attend(tile) }

    static func attendEmulated(_ tile: AttentionTile) { PairAttention.attend(tile) }
}
