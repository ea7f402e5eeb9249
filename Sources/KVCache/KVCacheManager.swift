/// The KV cache as the scheduler sees it: blocks for a sequence's next tokens or a refusal,
/// prefix hits, and the bookkeeping after a step. The free list, reference counts, the
/// prefix-cache index and eviction stay below this type (`KVBlockAllocator`), the tables in
/// `SequenceBlocks`, as vLLM's `KVCacheManager` hides its block pool.
///
/// ## Prefix hits and sliding windows
/// Full blocks are cached per group under the hash of all tokens up to and including the block.
/// A hit of length P (a multiple of the block size) gives the new sequence positions [0, P) and
/// it computes from position P on. That is only correct when every key those computations
/// will read is cached:
/// - a full-attention group needs its blocks for all of [0, P);
/// - a sliding-window group of window W needs only the blocks covering [P − W + 1, P) (the
///   query at position P attends (P − W, P]; later queries see even less of the prefix).
///   Its older blocks may have been evicted already; the hit gets -1 there.
/// The hit is the longest P for which every group has what it needs; a shorter P is tried when
/// a window group misses a block. P is at most `tokens.count − 1`, rounded down to whole blocks,
/// because the last token must always be computed to produce logits.
public final class KVCacheManager {
    public let layout: KVCacheLayout
    public let allocator: KVBlockAllocator
    public let prefixCaching: Bool

    /// Cached blocks a new sequence can start from.
    public struct PrefixHit: Sendable, Equatable {
        /// Tokens whose keys and values the hit provides: positions [0, tokenCount).
        public let tokenCount: Int
        /// [group][logical block] cached block ids, -1 where a window group needs none.
        let tables: [[Int32]]

        public static let none = PrefixHit(tokenCount: 0, tables: [])
    }

    public init(layout: KVCacheLayout, blockCount: Int, prefixCaching: Bool) {
        self.layout = layout
        self.allocator = KVBlockAllocator(blockCount: blockCount)
        self.prefixCaching = prefixCaching
    }

    public var blockCount: Int { allocator.blockCount }

    /// Blocks that can be handed out now (free or evictable).
    public var availableBlockCount: Int { allocator.availableCount }

    public func makeBlocks() -> SequenceBlocks { SequenceBlocks(layout: layout) }

    /// The longest usable cached prefix of `tokens` (see the type's documentation). Takes no
    /// references; pass the result to `allocate` in the same scheduling step.
    public func cachedPrefix(of tokens: [Int32], blocks: inout SequenceBlocks) -> PrefixHit {
        guard prefixCaching, tokens.count > layout.blockSize else { return .none }
        let size = layout.blockSize
        let candidateBlocks = (tokens.count - 1) / size
        updateHashes(&blocks, tokens: tokens, fullBlocks: candidateBlocks)

        func cached(_ group: Int, _ b: Int) -> Int32? {
            allocator.lookup(group: group, hash: blocks.hashes[b], parent: b == 0 ? .root : blocks.hashes[b - 1],
                             tokens: tokens[b * size..<(b + 1) * size])
        }

        // Full-attention groups: the cached run must start at block 0.
        var limit = candidateBlocks
        for (group, g) in layout.groups.enumerated() where g.window == nil {
            var n = 0
            while n < limit, cached(group, n) != nil { n += 1 }
            limit = n
        }
        // Window groups: valid[n] says whether a hit of n blocks has every block in
        // [firstNeeded(n), n) cached for every window group.
        var valid = Array(repeating: true, count: limit + 1)
        for (group, g) in layout.groups.enumerated() {
            guard let window = g.window else { continue }
            var runStart = 0 // first block of the run of cached blocks ending at n − 1
            for n in stride(from: 1, through: limit, by: 1) {
                if cached(group, n - 1) == nil { runStart = n }
                if firstNeededBlock(hitBlocks: n, window: window) < runStart { valid[n] = false }
            }
        }
        guard let hitBlocks = (0...limit).last(where: { valid[$0] }), hitBlocks > 0 else { return .none }

        var tables: [[Int32]] = []
        for (group, g) in layout.groups.enumerated() {
            let first = g.window.map { firstNeededBlock(hitBlocks: hitBlocks, window: $0) } ?? 0
            tables.append((0..<hitBlocks).map { b in b < first ? -1 : cached(group, b)! })
        }
        return PrefixHit(tokenCount: hitBlocks * size, tables: tables)
    }

    /// Gives `blocks` room for positions [0, tokens), starting from `hit` when the sequence
    /// holds no blocks yet. All or nothing: returns false, changing nothing, when too few
    /// blocks are available (the scheduler then preempts or waits).
    public func allocate(_ blocks: inout SequenceBlocks, reusing hit: PrefixHit = .none, tokens: Int) -> Bool {
        guard hit.tokenCount > 0 else {
            return blocks.ensureCapacity(tokens: tokens, allocator: allocator)
        }
        precondition(tokens > hit.tokenCount, "a hit never covers the token being computed")
        let hitBlocks = hit.tables.joined().filter { $0 >= 0 }
        // Taking an evictable hit block makes it unavailable to others, so count those too.
        let revived = hitBlocks.count { allocator.referenceCount($0) == 0 }
        let fresh = layout.groups.count * ((tokens + layout.blockSize - 1) / layout.blockSize
            - hit.tokenCount / layout.blockSize)
        guard revived + fresh <= allocator.availableCount else { return false }
        for block in hitBlocks { allocator.retain(block) }
        blocks.adopt(hit.tables, registeredBlocks: hit.tokenCount / layout.blockSize)
        let grown = blocks.ensureCapacity(tokens: tokens, allocator: allocator)
        precondition(grown)
        return true
    }

    /// After a step computed positions up to `computedTokens` (exclusive) of `tokens`: offers
    /// the newly full blocks to the prefix cache, then releases window blocks that no query at
    /// `computedTokens` or later can see (still cached, so they can serve later hits).
    public func didCompute(_ blocks: inout SequenceBlocks, tokens: [Int32], computedTokens: Int) {
        precondition(computedTokens <= tokens.count)
        if prefixCaching {
            let size = layout.blockSize
            let full = computedTokens / size
            updateHashes(&blocks, tokens: tokens, fullBlocks: full)
            for b in blocks.registeredBlocks..<max(full, blocks.registeredBlocks) {
                let parent = b == 0 ? BlockHash.root : blocks.hashes[b - 1]
                for group in blocks.tables.indices {
                    let block = blocks.tables[group][b]
                    guard block >= 0 else { continue }
                    allocator.cache(block, group: group, hash: blocks.hashes[b], parent: parent,
                                    tokens: tokens[b * size..<(b + 1) * size])
                }
            }
            blocks.registeredBlocks = max(full, blocks.registeredBlocks)
        }
        blocks.releaseOutOfWindow(position: computedTokens, allocator: allocator)
    }

    /// Releases every block of a finished or preempted sequence. Cached blocks stay indexed and
    /// become evictable.
    public func free(_ blocks: inout SequenceBlocks) {
        blocks.releaseAll(allocator: allocator)
    }

    // MARK: Helpers

    /// First logical block a window group must hold for a hit of `hitBlocks` blocks: the one
    /// containing position P − W + 1, where P = hitBlocks · blockSize.
    private func firstNeededBlock(hitBlocks: Int, window: Int) -> Int {
        max(0, hitBlocks * layout.blockSize - window + 1) / layout.blockSize
    }

    private func updateHashes(_ blocks: inout SequenceBlocks, tokens: [Int32], fullBlocks: Int) {
        let size = layout.blockSize
        while blocks.hashes.count < fullBlocks {
            let b = blocks.hashes.count
            let parent = blocks.hashes.last ?? .root
            blocks.hashes.append(BlockHash(parent: parent, tokens: tokens[b * size..<(b + 1) * size]))
        }
    }
}
