import XCTest
@testable import KVCache

final class KVCacheManagerTests: XCTestCase {
    private let fullLayout = KVCacheLayout(windows: [nil], keyDim: 2, valueDim: 2, blockSize: 4)
    /// Group 0: full attention; group 1: a window of 8 positions. Blocks of 4 tokens.
    private let windowLayout = KVCacheLayout(windows: [nil, 8], keyDim: 2, valueDim: 2, blockSize: 4)

    /// Allocates and "computes" `tokens` for a new sequence, as a scheduler step would.
    private func computed(_ tokens: [Int32], count: Int? = nil, in manager: KVCacheManager) -> SequenceBlocks {
        var blocks = manager.makeBlocks()
        let n = count ?? tokens.count
        let hit = manager.cachedPrefix(of: tokens, blocks: &blocks)
        XCTAssertTrue(manager.allocate(&blocks, reusing: hit, tokens: n))
        manager.didCompute(&blocks, tokens: tokens, computedTokens: n)
        return blocks
    }

    func testPrefixCacheReusesFullBlocksOnly() {
        let manager = KVCacheManager(layout: fullLayout, blockCount: 8, prefixCaching: true)
        let prompt: [Int32] = Array(10..<20) // two full blocks and two tokens
        let a = computed(prompt, in: manager)
        var b = manager.makeBlocks()
        let hit = manager.cachedPrefix(of: prompt + [99, 98], blocks: &b)
        XCTAssertEqual(hit.tokenCount, 8)
        XCTAssertTrue(manager.allocate(&b, reusing: hit, tokens: 12))
        XCTAssertEqual(Array(b.tables[0].prefix(2)), Array(a.tables[0].prefix(2)))
        XCTAssertNotEqual(b.tables[0][2], a.tables[0][2], "the partial block is never shared")
        XCTAssertEqual(manager.allocator.referenceCount(a.tables[0][0]), 2)
    }

    func testPrefixHitNeverCoversLastToken() {
        let manager = KVCacheManager(layout: fullLayout, blockCount: 8, prefixCaching: true)
        let prompt: [Int32] = Array(0..<8)
        _ = computed(prompt, in: manager)
        var b = manager.makeBlocks()
        XCTAssertEqual(manager.cachedPrefix(of: prompt, blocks: &b).tokenCount, 4,
                       "the last token must be computed to get logits")
    }

    func testOnlyComputedBlocksAreCached() {
        let manager = KVCacheManager(layout: fullLayout, blockCount: 8, prefixCaching: true)
        let prompt: [Int32] = Array(0..<12)
        _ = computed(prompt, count: 6, in: manager)
        var b = manager.makeBlocks()
        XCTAssertEqual(manager.cachedPrefix(of: prompt, blocks: &b).tokenCount, 4)
    }

    func testFinishedSequenceBlocksStayCachedUntilEvicted() {
        let manager = KVCacheManager(layout: fullLayout, blockCount: 3, prefixCaching: true)
        let prompt: [Int32] = Array(0..<9)
        var a = computed(prompt, in: manager)
        manager.free(&a)
        XCTAssertEqual(manager.availableBlockCount, 3)
        var b = manager.makeBlocks()
        XCTAssertEqual(manager.cachedPrefix(of: prompt, blocks: &b).tokenCount, 8)
        // Another sequence takes every block: the cached ones are evicted.
        var other = manager.makeBlocks()
        XCTAssertTrue(manager.allocate(&other, tokens: 12))
        manager.free(&other)
        XCTAssertEqual(manager.cachedPrefix(of: prompt, blocks: &b), .none)
    }

    func testHitCountsRevivedBlocksAgainstAvailability() {
        let manager = KVCacheManager(layout: fullLayout, blockCount: 3, prefixCaching: true)
        let prompt: [Int32] = Array(0..<9)
        var a = computed(prompt, in: manager)
        manager.free(&a)
        var b = manager.makeBlocks()
        let hit = manager.cachedPrefix(of: prompt + Array(20..<24), blocks: &b)
        XCTAssertEqual(hit.tokenCount, 8)
        // 8 cached tokens plus 8 new ones need 4 blocks; the pool has 3.
        XCTAssertFalse(manager.allocate(&b, reusing: hit, tokens: 16))
        XCTAssertEqual(b.heldBlockCount, 0)
        XCTAssertEqual(manager.allocator.evictableCount, 2, "a refused hit takes no reference")
        XCTAssertTrue(manager.allocate(&b, reusing: hit, tokens: 12))
        XCTAssertEqual(manager.availableBlockCount, 0)
    }

    func testPrefixCachingOffNeverHits() {
        let manager = KVCacheManager(layout: fullLayout, blockCount: 8, prefixCaching: false)
        let prompt: [Int32] = Array(0..<12)
        _ = computed(prompt, in: manager)
        var b = manager.makeBlocks()
        XCTAssertEqual(manager.cachedPrefix(of: prompt, blocks: &b), .none)
        XCTAssertEqual(manager.allocator.cachedCount, 0)
    }

    func testSecondComputationOfSamePrefixStaysPrivate() {
        let manager = KVCacheManager(layout: fullLayout, blockCount: 4, prefixCaching: true)
        let prompt: [Int32] = Array(0..<8)
        // Both computed before either was cached (e.g. admitted in the same step).
        var a = manager.makeBlocks(), b = manager.makeBlocks()
        XCTAssertTrue(manager.allocate(&a, tokens: 8))
        XCTAssertTrue(manager.allocate(&b, tokens: 8))
        manager.didCompute(&a, tokens: prompt, computedTokens: 8)
        manager.didCompute(&b, tokens: prompt, computedTokens: 8)
        XCTAssertEqual(manager.allocator.cachedCount, 2)
        manager.free(&b)
        XCTAssertEqual(manager.allocator.evictableCount, 0, "b's copies went back to the free list")
        XCTAssertEqual(manager.availableBlockCount, 2)
    }

    func testPrefixHitWithWindowSkipsBlocksBeforeWindow() {
        let manager = KVCacheManager(layout: windowLayout, blockCount: 16, prefixCaching: true)
        let prompt: [Int32] = Array(100..<124) // six full blocks
        let a = computed(prompt, in: manager)
        // The window group released blocks 0–3 (a query at 24 sees 17…24), still cached.
        XCTAssertEqual(a.tables[1].map { $0 >= 0 }, [false, false, false, false, true, true])
        var b = manager.makeBlocks()
        let hit = manager.cachedPrefix(of: prompt + [7], blocks: &b)
        XCTAssertEqual(hit.tokenCount, 24)
        XCTAssertTrue(manager.allocate(&b, reusing: hit, tokens: 25))
        XCTAssertEqual(Array(b.tables[0].prefix(6)), a.tables[0])
        // The query at 24 sees 17…24: only blocks 4 and 5 of the window group are needed.
        XCTAssertEqual(Array(b.tables[1].prefix(6)), [-1, -1, -1, -1] + a.tables[1][4...])
    }

    func testPrefixHitFallsBackWhenWindowBlockEvicted() {
        let manager = KVCacheManager(layout: windowLayout, blockCount: 12, prefixCaching: true)
        let allocator = manager.allocator
        let prompt: [Int32] = Array(100..<124) // six full blocks
        var a = manager.makeBlocks()
        XCTAssertTrue(manager.allocate(&a, tokens: 24))
        let full = a.tables[0], window = a.tables[1]
        manager.didCompute(&a, tokens: prompt, computedTokens: 24)
        manager.free(&a)
        // Evict window block 5 only (with 0 and 1, released earlier), keeping window blocks
        // 2–4 and every full-attention block.
        let protected = [window[2], window[3], window[4], full[5]]
        for block in protected { allocator.retain(block) }
        var taken: [Int32] = []
        while allocator.isCached(window[5]) { taken.append(allocator.allocate()!) }
        for block in protected + taken { allocator.release(block) }
        XCTAssertTrue(full.allSatisfy(allocator.isCached))

        var b = manager.makeBlocks()
        let hit = manager.cachedPrefix(of: prompt + [7], blocks: &b)
        // 24 tokens would need window blocks 4 and 5; 20 tokens need blocks 3 and 4.
        XCTAssertEqual(hit.tokenCount, 20)
        XCTAssertTrue(manager.allocate(&b, reusing: hit, tokens: 25))
        XCTAssertEqual(Array(b.tables[0].prefix(5)), Array(full.prefix(5)))
        XCTAssertEqual(Array(b.tables[1].prefix(5)), [-1, -1, -1, window[3], window[4]])
    }

    func testPrefixHitWithoutFullGroupUsesWindowBlocksOnly() {
        let layout = KVCacheLayout(windows: [8], keyDim: 2, valueDim: 2, blockSize: 4)
        let manager = KVCacheManager(layout: layout, blockCount: 8, prefixCaching: true)
        let prompt: [Int32] = Array(0..<16)
        let a = computed(prompt, in: manager)
        XCTAssertEqual(a.tables[0].map { $0 >= 0 }, [false, false, true, true])
        var b = manager.makeBlocks()
        let hit = manager.cachedPrefix(of: prompt + [1], blocks: &b)
        XCTAssertEqual(hit.tokenCount, 16)
        XCTAssertTrue(manager.allocate(&b, reusing: hit, tokens: 17))
        XCTAssertEqual(Array(b.tables[0].prefix(4)), a.tables[0])
    }
}
