/// The block pool: hands out block ids of `KVBlockStorage`, counts references to them, and
/// keeps unreferenced prefix-cached blocks around until their memory is needed.
///
/// Every block is in exactly one of three states:
/// - referenced (count > 0): in some sequence's block table (possibly several, when shared
///   through the prefix cache);
/// - free: unreferenced and holding nothing worth keeping (on `freeBlocks`);
/// - evictable: unreferenced but indexed in the prefix cache (on the LRU list). A prefix hit
///   takes it back; `allocate()` reuses the least recently released one when no free block is
///   left, dropping it from the index first.
///
/// Not thread-safe: one engine step at a time owns it.
public final class KVBlockAllocator {
    public let blockCount: Int
    /// [blockCount] references to each block.
    private var referenceCounts: [Int32]
    /// Unreferenced, uncached blocks; a stack, popped from the end.
    private var freeBlocks: [Int32]
    /// Unreferenced cached blocks, least recently released first: an intrusive doubly linked list
    /// over block ids (-1 ends it), so taking a block back on a prefix hit is O(1).
    private var lruPrevious: [Int32]
    private var lruNext: [Int32]
    private var lruHead: Int32 = -1
    private var lruTail: Int32 = -1
    public private(set) var evictableCount = 0
    var prefixCache: PrefixCache

    public init(blockCount: Int) {
        precondition(blockCount > 0 && blockCount <= Int(Int32.max), "block count out of range")
        self.blockCount = blockCount
        referenceCounts = Array(repeating: 0, count: blockCount)
        // Reversed, so blocks are handed out as 0, 1, 2, … (easier to read in tests and dumps).
        freeBlocks = (0..<Int32(blockCount)).reversed()
        lruPrevious = Array(repeating: -1, count: blockCount)
        lruNext = Array(repeating: -1, count: blockCount)
        prefixCache = PrefixCache(blockCount: blockCount)
    }

    /// Blocks `allocate()` can still hand out: free ones plus evictable cached ones.
    public var availableCount: Int { freeBlocks.count + evictableCount }

    /// Blocks indexed in the prefix cache (referenced or not).
    public var cachedCount: Int { prefixCache.count }

    public func referenceCount(_ block: Int32) -> Int { Int(referenceCounts[Int(block)]) }

    public func isCached(_ block: Int32) -> Bool { prefixCache.isCached(block) }

    /// A block with one reference, or nil when every block is referenced. Prefers a free block;
    /// otherwise evicts the least recently released cached one.
    public func allocate() -> Int32? {
        let block: Int32
        if let free = freeBlocks.popLast() {
            block = free
        } else if lruHead >= 0 {
            block = lruHead
            unlink(block)
            prefixCache.remove(block: block)
        } else {
            return nil
        }
        precondition(referenceCounts[Int(block)] == 0)
        referenceCounts[Int(block)] = 1
        return block
    }

    /// One more reference to `block` (a prefix hit). Takes an evictable block off the LRU list.
    public func retain(_ block: Int32) {
        let i = Int(block)
        if referenceCounts[i] == 0 {
            // Only cached blocks may be picked up again while unreferenced; a free block's
            // contents are meaningless.
            precondition(prefixCache.isCached(block), "retain of free block \(block)")
            unlink(block)
        }
        referenceCounts[i] += 1
    }

    /// Drops one reference. The last release makes a cached block evictable (most recently
    /// used end of the LRU list) and an uncached one free.
    public func release(_ block: Int32) {
        let i = Int(block)
        precondition(referenceCounts[i] > 0, "release of unreferenced block \(block)")
        referenceCounts[i] -= 1
        guard referenceCounts[i] == 0 else { return }
        if prefixCache.isCached(block) {
            append(block)
        } else {
            freeBlocks.append(block)
        }
    }

    /// Indexes a referenced, fully written block in the prefix cache. Returns false when the
    /// key already names another block (this one then stays private to its sequence).
    @discardableResult
    public func cache(_ block: Int32, group: Int, hash: BlockHash, parent: BlockHash,
                      tokens: ArraySlice<Int32>) -> Bool {
        precondition(referenceCounts[Int(block)] > 0, "only a referenced block can be cached")
        return prefixCache.insert(block: block, group: group, hash: hash, parent: parent, tokens: tokens)
    }

    /// The cached block for this block of tokens in `group`, without taking a reference.
    public func lookup(group: Int, hash: BlockHash, parent: BlockHash, tokens: ArraySlice<Int32>) -> Int32? {
        prefixCache.lookup(group: group, hash: hash, parent: parent, tokens: tokens)
    }

    // MARK: LRU list

    private func append(_ block: Int32) {
        lruPrevious[Int(block)] = lruTail
        lruNext[Int(block)] = -1
        if lruTail >= 0 { lruNext[Int(lruTail)] = block } else { lruHead = block }
        lruTail = block
        evictableCount += 1
    }

    private func unlink(_ block: Int32) {
        let previous = lruPrevious[Int(block)], next = lruNext[Int(block)]
        if previous >= 0 { lruNext[Int(previous)] = next } else { lruHead = next }
        if next >= 0 { lruPrevious[Int(next)] = previous } else { lruTail = previous }
        lruPrevious[Int(block)] = -1
        lruNext[Int(block)] = -1
        evictableCount -= 1
    }
}
