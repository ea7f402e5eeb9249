/// The KV blocks of one sequence: one block table per group of the `KVCacheLayout`.
///
/// Entry `b` of a table is the physical block holding positions `[b·blockSize, (b+1)·blockSize)`
/// for that group's layers. Tables of full-attention groups are dense. Tables of sliding-window
/// groups may begin with -1: blocks that no future query can see were released (a query at
/// position p attends keys in (p − window, p]), or were never taken on a prefix hit.
///
/// Every block listed holds one reference owned by this value; `releaseAll` must be called
/// before it is dropped (the manager does this when a sequence finishes or is preempted).
public struct SequenceBlocks: Sendable {
    /// [group][logical block] physical block id, or -1 where released.
    public private(set) var tables: [[Int32]]
    /// Hashes of the sequence's full blocks of tokens, computed once (tokens never change).
    var hashes: [BlockHash] = []
    /// Leading full blocks already offered to the prefix cache.
    var registeredBlocks = 0
    /// Per group: leading table entries already released (or -1 from the start).
    private var releasedBlocks: [Int]
    private let windows: [Int?]
    private let blockSize: Int

    public init(layout: KVCacheLayout) {
        tables = Array(repeating: [], count: layout.groups.count)
        releasedBlocks = Array(repeating: 0, count: layout.groups.count)
        windows = layout.groups.map(\.window)
        blockSize = layout.blockSize
    }

    /// Positions the tables cover (the longest table, in tokens).
    public var capacity: Int { (tables.map(\.count).max() ?? 0) * blockSize }

    /// Blocks this sequence holds references to.
    public var heldBlockCount: Int { tables.reduce(0) { $0 + $1.count { $0 >= 0 } } }

    /// New blocks `ensureCapacity(tokens:)` would take.
    public func blocksNeeded(tokens: Int) -> Int {
        let logical = (tokens + blockSize - 1) / blockSize
        return tables.reduce(0) { $0 + max(0, logical - $1.count) }
    }

    /// Makes every table cover positions [0, tokens), taking all the new blocks or none.
    /// Returns false, changing nothing, when the allocator has too few blocks.
    public mutating func ensureCapacity(tokens: Int, allocator: KVBlockAllocator) -> Bool {
        let needed = blocksNeeded(tokens: tokens)
        guard needed <= allocator.availableCount else { return false }
        let logical = (tokens + blockSize - 1) / blockSize
        for group in tables.indices {
            while tables[group].count < logical {
                // Cannot fail: availableCount counted every block allocate() can return.
                tables[group].append(allocator.allocate()!)
            }
        }
        return true
    }

    /// Releases the sliding-window blocks that no query at `position` or later can attend:
    /// those whose last position is at most `position − window`.
    public mutating func releaseOutOfWindow(position: Int, allocator: KVBlockAllocator) {
        for group in tables.indices {
            guard let window = windows[group] else { continue }
            // Block b's last position is (b+1)·blockSize − 1; it is out of sight when that is
            // below position − window + 1.
            let firstVisible = position - window + 1
            guard firstVisible > 0 else { continue }
            let outOfSight = min(firstVisible / blockSize, tables[group].count)
            while releasedBlocks[group] < outOfSight {
                let b = releasedBlocks[group]
                if tables[group][b] >= 0 {
                    allocator.release(tables[group][b])
                    tables[group][b] = -1
                }
                releasedBlocks[group] += 1
            }
        }
    }

    /// Releases every block, last logical block first, so that of a released prefix the cache
    /// evicts the tail (least likely shared) before the head.
    public mutating func releaseAll(allocator: KVBlockAllocator) {
        let longest = tables.map(\.count).max() ?? 0
        for b in stride(from: longest - 1, through: 0, by: -1) {
            for group in tables.indices where b < tables[group].count && tables[group][b] >= 0 {
                allocator.release(tables[group][b])
            }
        }
        for group in tables.indices {
            tables[group].removeAll()
            releasedBlocks[group] = 0
        }
        registeredBlocks = 0
    }

    /// Installs the tables of a prefix hit into empty tables; the caller has already taken the
    /// references.
    mutating func adopt(_ hitTables: [[Int32]], registeredBlocks: Int) {
        precondition(heldBlockCount == 0, "a prefix hit only applies to a sequence holding no blocks")
        precondition(hitTables.count == tables.count)
        tables = hitTables
        for group in tables.indices {
            releasedBlocks[group] = tables[group].prefix { $0 < 0 }.count
        }
        self.registeredBlocks = registeredBlocks
    }
}
