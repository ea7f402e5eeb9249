import KVCache

/// One forward pass worth of tokens from several sequences (the engine's flat batch).
///
/// Parallel arrays, like llama.cpp's `llama_batch`: token `i` is `tokens[i]` at `positions[i]`
/// of sequence `sequenceOfToken[i]`. A sequence's tokens are contiguous and in position order,
/// and every position before a sequence's first token in the batch is already in the KV cache
/// (its blocks are listed in that sequence's block tables). The forward pass writes each
/// token's keys and values into the cache and attends over the sequence's cached positions.
public struct ForwardBatch: Sendable {
    public struct Sequence: Sendable {
        /// Physical KV block per logical block (`position / blockSize`), one table per KV group
        /// of the model's `KVCacheLayout`. Entries below a sliding window may be -1 (released).
        public var blockTables: [[Int32]]

        public init(blockTables: [[Int32]]) { self.blockTables = blockTables }

        /// A sequence of up to `positions` positions that owns consecutive blocks from
        /// `firstBlock` on: each KV group in turn gets the next blocks it needs. For one-off
        /// runs without an allocator (perplexity, benchmarks, tests).
        public init(consecutiveBlocksFor layout: KVCacheLayout, positions: Int, firstBlock: Int32 = 0) {
            let perGroup = Self.blocksPerGroup(layout, positions: positions)
            blockTables = layout.groups.indices.map { group in
                (0..<perGroup).map { firstBlock + Int32(group * perGroup + $0) }
            }
        }

        /// Blocks `init(consecutiveBlocksFor:positions:)` takes, over all groups.
        public static func blockCount(for layout: KVCacheLayout, positions: Int) -> Int {
            blocksPerGroup(layout, positions: positions) * layout.groups.count
        }

        private static func blocksPerGroup(_ layout: KVCacheLayout, positions: Int) -> Int {
            (positions + layout.blockSize - 1) / layout.blockSize
        }
    }

    /// [tokenCount] token ids.
    public var tokens: [Int32] = []
    /// [tokenCount] position of each token in its sequence (0-based).
    public var positions: [Int32] = []
    /// [tokenCount] index into `sequences`.
    public var sequenceOfToken: [Int32] = []
    public var sequences: [Sequence] = []
    /// Indices into `tokens` whose next-token logits are wanted; row r of the result is token
    /// `logitTokens[r]`. Other tokens never go through the vocabulary projection.
    public var logitTokens: [Int32] = []

    public init() {}

    public var tokenCount: Int { tokens.count }

    /// Appends `tokens` of one sequence starting at `startPosition`; when `wantsLogits`, the
    /// last of them is marked for sampling. Returns the sequence's index in the batch.
    @discardableResult
    public mutating func append(sequence: Sequence, tokens newTokens: [Int32], startPosition: Int,
                                wantsLogits: Bool) -> Int {
        let index = sequences.count
        sequences.append(sequence)
        for (offset, token) in newTokens.enumerated() {
            tokens.append(token)
            positions.append(Int32(startPosition + offset))
            sequenceOfToken.append(Int32(index))
        }
        if wantsLogits, !newTokens.isEmpty { logitTokens.append(Int32(tokens.count - 1)) }
        return index
    }
}
