/// Causal attention of one query token over keys and values kept in paged KV blocks, at the
/// selected kernel level.
///
/// Each call handles the query heads that share one KV head (GQA), so each key and value vector
/// is loaded once for the whole group. A query's result depends only on its own sequence's
/// cached keys and values, never on the rest of the batch. See `AttentionLayout` for where keys
/// (transposed per block) and values live.
public enum PagedAttention {
    public typealias Layout = AttentionLayout

    /// out_h = Σ_j softmax_j(scale · q_h·k_j) · v_j over positions `first...last`, for the
    /// `groupHeads` query heads of one KV head.
    /// - Parameters:
    ///   - query: head h at `query + h * headDim` (headDim a multiple of 16).
    ///   - blockTable: physical block of each logical block of the sequence.
    ///   - scores: scratch of at least `groupHeads * (last - first + 1)` floats.
    ///   - out: head h written at `out + h * headDim`.
    public static func attend(query: UnsafePointer<Float>, groupHeads: Int, headDim: Int, layout: Layout,
                              blockTable: UnsafePointer<Int32>, first: Int, last: Int, scale: Float,
                              scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        precondition(headDim % 16 == 0 && groupHeads >= 1 && first <= last)
        KernelLevel.active.attend(query: query, groupHeads: groupHeads, headDim: headDim, layout: layout,
                                  blockTable: blockTable, first: first, last: last, scale: scale, scores: scores,
                                  out: out)
    }
}
