/// One call of causal paged attention: `queryCount` consecutive query tokens of one sequence
/// (positions `position`, `position + 1`, …), each with the `groupHeads` query heads that share
/// one KV head, attended over the keys and values `layout` and `blockTable` point at.
///
/// Query token i attends positions `first(i)...position + i`, where `first(i)` is 0 for full
/// attention and `max(0, position + i − window + 1)` for a sliding window of `window`
/// positions. Every (query, head) row's result is computed with the same operations in the
/// same order whatever else shares the tile, so tiles of any size give the same bits.
public struct AttentionTile: @unchecked Sendable {
    /// Query token i, head h: `headDim` floats at `queries + i * queryStride + h * headDim`.
    public var queries: UnsafePointer<Float>
    public var queryStride: Int
    public var queryCount: Int
    public var groupHeads: Int
    /// Floats per query, key and value head (a multiple of 16).
    public var headDim: Int
    public var layout: AttentionLayout
    /// Physical block of each logical block of the sequence (this layer's KV group).
    public var blockTable: UnsafePointer<Int32>
    /// Position of query token 0.
    public var position: Int
    /// Sliding window in positions; nil for full causal attention.
    public var window: Int?
    /// Multiplies every q·k (1/√headDim, or the model's query scale).
    public var scale: Float
    /// Scratch of at least `scoreFloats` floats.
    public var scores: UnsafeMutablePointer<Float>
    /// Query token i, head h written at `out + i * outStride + h * headDim`.
    public var out: UnsafeMutablePointer<Float>
    public var outStride: Int

    public init(queries: UnsafePointer<Float>, queryStride: Int, queryCount: Int, groupHeads: Int, headDim: Int,
                layout: AttentionLayout, blockTable: UnsafePointer<Int32>, position: Int, window: Int?, scale: Float,
                scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, outStride: Int) {
        self.queries = queries
        self.queryStride = queryStride
        self.queryCount = queryCount
        self.groupHeads = groupHeads
        self.headDim = headDim
        self.layout = layout
        self.blockTable = blockTable
        self.position = position
        self.window = window
        self.scale = scale
        self.scores = scores
        self.out = out
        self.outStride = outStride
    }

    /// First position query token i attends.
    @inlinable public func first(_ i: Int) -> Int {
        window.map { max(0, position + i - $0 + 1) } ?? 0
    }

    /// Positions per span when a tile's rows take several passes: a multiple of 16 (at least
    /// 16) whose keys (or values) of one head take about `spanBytes` of `elementBytes`-byte
    /// elements, so a span stays in cache while every pass reads it (the level kernels walk
    /// long ranges span by span, with their level's `spanBytes`).
    @inlinable public static func spanPositions(headDim: Int, elementBytes: Int, spanBytes: Int) -> Int {
        max(16, spanBytes / (headDim * elementBytes) / 16 * 16)
    }

    /// Floats of score scratch a call needs: one row per (query, head), each as long as the
    /// longest range.
    @inlinable public var scoreRowStride: Int { position + queryCount }
    @inlinable public var scoreFloats: Int { queryCount * groupHeads * scoreRowStride }
    @inlinable public static func scoreFloats(queryCount: Int, groupHeads: Int, lastPosition: Int) -> Int {
        queryCount * groupHeads * (lastPosition + 1)
    }
}
