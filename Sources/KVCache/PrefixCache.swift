/// The prefix-cache index: which physical block holds the keys and values of a given full block
/// of tokens, per KV group.
///
/// Key: (group, hash of all tokens up to and including the block). Each block id appears under
/// at most one key. The index only records; whether an indexed block is referenced or
/// evictable is the allocator's business (`KVBlockAllocator` owns this index and drops an entry
/// when it evicts the block for reuse).
struct PrefixCache {
    struct Key: Hashable {
        var group: Int32
        var hash: BlockHash
    }

    /// What was cached, so a hit can be checked against the asking sequence's own tokens.
    private struct Entry {
        var key: Key
        var parent: BlockHash
        var tokens: [Int32]
    }

    private var blockOfKey: [Key: Int32] = [:]
    /// [blockCount] the entry of each block, nil when the block is not indexed.
    private var entryOfBlock: [Entry?]

    init(blockCount: Int) {
        entryOfBlock = Array(repeating: nil, count: blockCount)
    }

    var count: Int { blockOfKey.count }

    func isCached(_ block: Int32) -> Bool { entryOfBlock[Int(block)] != nil }

    /// The block cached for this block of tokens in `group`, if any. The parent hash and tokens
    /// must match what was cached, not only the hash.
    func lookup(group: Int, hash: BlockHash, parent: BlockHash, tokens: ArraySlice<Int32>) -> Int32? {
        guard let block = blockOfKey[Key(group: Int32(group), hash: hash)],
              let entry = entryOfBlock[Int(block)],
              entry.parent == parent, entry.tokens.elementsEqual(tokens)
        else { return nil }
        return block
    }

    /// Indexes `block` under (group, hash). Returns false (and changes nothing) when the key
    /// already names a block (another sequence computed the same tokens first) or the block is
    /// already indexed.
    @discardableResult
    mutating func insert(block: Int32, group: Int, hash: BlockHash, parent: BlockHash,
                         tokens: ArraySlice<Int32>) -> Bool {
        let key = Key(group: Int32(group), hash: hash)
        guard blockOfKey[key] == nil, entryOfBlock[Int(block)] == nil else { return false }
        blockOfKey[key] = block
        entryOfBlock[Int(block)] = Entry(key: key, parent: parent, tokens: Array(tokens))
        return true
    }

    /// Forgets `block` (it is about to hold other tokens).
    mutating func remove(block: Int32) {
        guard let entry = entryOfBlock[Int(block)] else { return }
        blockOfKey[entry.key] = nil
        entryOfBlock[Int(block)] = nil
    }
}
