import XCTest
import KVCache

final class SequenceBlocksTests: XCTestCase {
    /// Group 0: full attention; group 1: a window of 8 positions. Blocks of 4 tokens.
    private let layout = KVCacheLayout(windows: [nil, 8], keyDim: 2, valueDim: 2, blockSize: 4)

    func testEnsureCapacityIsAllOrNothing() {
        let allocator = KVBlockAllocator(blockCount: 5)
        var blocks = SequenceBlocks(layout: layout)
        XCTAssertTrue(blocks.ensureCapacity(tokens: 8, allocator: allocator))
        XCTAssertEqual(blocks.tables, [[0, 1], [2, 3]])
        XCTAssertEqual(blocks.blocksNeeded(tokens: 12), 2)
        XCTAssertFalse(blocks.ensureCapacity(tokens: 12, allocator: allocator))
        XCTAssertEqual(blocks.tables, [[0, 1], [2, 3]], "a refused request takes nothing")
        XCTAssertEqual(allocator.availableCount, 1)
        XCTAssertTrue(blocks.ensureCapacity(tokens: 8, allocator: allocator), "already covered")
    }

    func testSlidingWindowGroupReleasesOldBlocks() {
        let allocator = KVBlockAllocator(blockCount: 10)
        var blocks = SequenceBlocks(layout: layout)
        XCTAssertTrue(blocks.ensureCapacity(tokens: 20, allocator: allocator))
        // A query at 12 sees keys 5…12: block 0 (positions 0–3) is out of sight, block 1 is not.
        blocks.releaseOutOfWindow(position: 12, allocator: allocator)
        XCTAssertEqual(blocks.tables[1].map { $0 >= 0 }, [false, true, true, true, true])
        XCTAssertEqual(blocks.tables[0].count { $0 >= 0 }, 5, "full-attention blocks are kept")
        XCTAssertEqual(allocator.availableCount, 1)
        // A query at 20 sees 13…20: blocks 0–2 are out of sight.
        blocks.releaseOutOfWindow(position: 20, allocator: allocator)
        XCTAssertEqual(blocks.tables[1].map { $0 >= 0 }, [false, false, false, true, true])
        XCTAssertEqual(allocator.availableCount, 3)
        XCTAssertEqual(blocks.heldBlockCount, 7)
    }

    func testWindowKeepsBlocksWhileAnyQueryCanSeeThem() {
        let allocator = KVBlockAllocator(blockCount: 10)
        var blocks = SequenceBlocks(layout: layout)
        XCTAssertTrue(blocks.ensureCapacity(tokens: 12, allocator: allocator))
        // A query at 11 sees 4…11, so block 0 (0–3) goes and block 1 (4–7) stays.
        blocks.releaseOutOfWindow(position: 11, allocator: allocator)
        XCTAssertEqual(blocks.tables[1].map { $0 >= 0 }, [false, true, true])
        blocks.releaseOutOfWindow(position: 7, allocator: allocator)
        XCTAssertEqual(blocks.heldBlockCount, 5, "releasing is never undone or repeated")
    }

    func testReleaseAllFreesEveryBlock() {
        let allocator = KVBlockAllocator(blockCount: 6)
        var blocks = SequenceBlocks(layout: layout)
        XCTAssertTrue(blocks.ensureCapacity(tokens: 10, allocator: allocator))
        blocks.releaseOutOfWindow(position: 10, allocator: allocator)
        blocks.releaseAll(allocator: allocator)
        XCTAssertEqual(blocks.tables, [[], []])
        XCTAssertEqual(allocator.availableCount, 6)
        XCTAssertTrue(blocks.ensureCapacity(tokens: 12, allocator: allocator), "the tables start over")
    }
}
