import XCTest
@testable import KVCache

final class KVBlockAllocatorTests: XCTestCase {
    private let tokens: [Int32] = Array(0..<4)

    func testAllocatesEveryBlockOnceThenReturnsNil() {
        let allocator = KVBlockAllocator(blockCount: 3)
        let blocks = (0..<3).compactMap { _ in allocator.allocate() }
        XCTAssertEqual(blocks, [0, 1, 2])
        XCTAssertNil(allocator.allocate())
        XCTAssertEqual(allocator.availableCount, 0)
        XCTAssertEqual(blocks.map(allocator.referenceCount), [1, 1, 1])
    }

    func testReleasedUncachedBlockIsFreeAgain() {
        let allocator = KVBlockAllocator(blockCount: 1)
        let block = allocator.allocate()!
        allocator.release(block)
        XCTAssertEqual(allocator.availableCount, 1)
        XCTAssertEqual(allocator.evictableCount, 0)
        XCTAssertEqual(allocator.allocate(), block)
    }

    func testSharedBlockStaysReferencedUntilLastRelease() {
        let allocator = KVBlockAllocator(blockCount: 2)
        let block = allocator.allocate()!
        allocator.cache(block, group: 0, hash: BlockHash(value: 1), parent: .root, tokens: tokens[...])
        allocator.retain(block)
        allocator.release(block)
        XCTAssertEqual(allocator.referenceCount(block), 1)
        XCTAssertEqual(allocator.availableCount, 1)
        allocator.release(block)
        XCTAssertEqual(allocator.availableCount, 2)
        XCTAssertEqual(allocator.evictableCount, 1)
    }

    func testEvictsLeastRecentlyUsedUnreferencedBlock() {
        let allocator = KVBlockAllocator(blockCount: 3)
        let blocks = (0..<3).map { _ in allocator.allocate()! }
        for (i, block) in blocks.enumerated() {
            allocator.cache(block, group: 0, hash: BlockHash(value: UInt64(i)), parent: .root, tokens: tokens[...])
        }
        // Released in the order 2, 0, 1: block 2 is the least recently used.
        for block in [blocks[2], blocks[0], blocks[1]] { allocator.release(block) }
        XCTAssertEqual(allocator.evictableCount, 3)
        XCTAssertEqual(allocator.allocate(), blocks[2])
        XCTAssertFalse(allocator.isCached(blocks[2]), "an evicted block leaves the index")
        XCTAssertNil(allocator.lookup(group: 0, hash: BlockHash(value: 2), parent: .root, tokens: tokens[...]))
        XCTAssertEqual(allocator.allocate(), blocks[0])
        XCTAssertNotNil(allocator.lookup(group: 0, hash: BlockHash(value: 1), parent: .root, tokens: tokens[...]))
    }

    func testFreeBlocksAreUsedBeforeEvictingCachedOnes() {
        let allocator = KVBlockAllocator(blockCount: 2)
        let cached = allocator.allocate()!, plain = allocator.allocate()!
        allocator.cache(cached, group: 0, hash: BlockHash(value: 7), parent: .root, tokens: tokens[...])
        allocator.release(cached)
        allocator.release(plain)
        XCTAssertEqual(allocator.allocate(), plain)
        XCTAssertTrue(allocator.isCached(cached))
    }

    func testRetainTakesCachedBlockOffEvictionList() {
        let allocator = KVBlockAllocator(blockCount: 2)
        let a = allocator.allocate()!, b = allocator.allocate()!
        allocator.cache(a, group: 0, hash: BlockHash(value: 1), parent: .root, tokens: tokens[...])
        allocator.cache(b, group: 0, hash: BlockHash(value: 2), parent: .root, tokens: tokens[...])
        allocator.release(a)
        allocator.release(b)
        allocator.retain(a)
        XCTAssertEqual(allocator.evictableCount, 1)
        XCTAssertEqual(allocator.allocate(), b)
        XCTAssertNil(allocator.allocate(), "the retained block is not evictable")
    }

    func testCacheRefusesSecondBlockForSameKey() {
        let allocator = KVBlockAllocator(blockCount: 2)
        let a = allocator.allocate()!, b = allocator.allocate()!
        XCTAssertTrue(allocator.cache(a, group: 0, hash: BlockHash(value: 9), parent: .root, tokens: tokens[...]))
        XCTAssertFalse(allocator.cache(b, group: 0, hash: BlockHash(value: 9), parent: .root, tokens: tokens[...]))
        XCTAssertTrue(allocator.cache(b, group: 1, hash: BlockHash(value: 9), parent: .root, tokens: tokens[...]),
                      "groups have separate keys")
        allocator.release(a)
        allocator.release(b)
        XCTAssertEqual(allocator.evictableCount, 2)
    }

    func testLookupChecksTokensAndParentNotOnlyHash() {
        let allocator = KVBlockAllocator(blockCount: 1)
        let a = allocator.allocate()!
        allocator.cache(a, group: 0, hash: BlockHash(value: 5), parent: .root, tokens: tokens[...])
        XCTAssertEqual(allocator.lookup(group: 0, hash: BlockHash(value: 5), parent: .root, tokens: tokens[...]), a)
        XCTAssertNil(allocator.lookup(group: 0, hash: BlockHash(value: 5), parent: .root, tokens: [0, 1, 2, 9][...]))
        XCTAssertNil(allocator.lookup(group: 0, hash: BlockHash(value: 5), parent: BlockHash(value: 3), tokens: tokens[...]))
    }
}
