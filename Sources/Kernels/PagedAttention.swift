/// Causal attention over keys and values kept in paged KV blocks, at the selected kernel level.
///
/// One call attends a tile: several consecutive query tokens of one sequence with the query
/// heads that share one KV head (GQA), so each key and value vector is loaded once for many
/// (query, head) rows. A row's result depends only on its own query and its own sequence's
/// cached keys and values — never on the tile's size, its other rows, or the rest of the batch
/// (see `AttentionTile`). See `AttentionLayout` for where keys (transposed per block) and
/// values live, in f32, f16 or bf16.
public enum PagedAttention {
    public typealias Layout = AttentionLayout
    public typealias Tile = AttentionTile

    /// out = Σ_j softmax_j(scale · q·k_j) · v_j for every (query, head) row of `tile`.
    /// `tile.scores` must hold `tile.scoreFloats` floats.
    public static func attend(_ tile: AttentionTile) {
        precondition(tile.headDim % 16 == 0 && tile.groupHeads >= 1 && tile.queryCount >= 1 && tile.position >= 0)
        precondition(tile.window.map { $0 >= 1 } ?? true, "a sliding window holds at least one position")
        KernelLevel.active.attend(tile)
    }

    /// Whether bf16 attention runs on AVX-512 BF16's `vdpbf16ps` here (else emulated).
    public static var usesPairProductInstruction: Bool { KernelLevel.active.pairProductInstruction }

    /// `attend` of a bf16 tile with the pair products emulated even where the CPU has
    /// `vdpbf16ps` (tests compare the two).
    public static func attendEmulatingPairProducts(_ tile: AttentionTile) {
        precondition(tile.headDim % 16 == 0 && tile.groupHeads >= 1 && tile.queryCount >= 1 && tile.position >= 0)
        KernelLevel.active.attendEmulatingPairProducts(tile)
    }
}
