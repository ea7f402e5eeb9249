@testable import Model
import XCTest

/// Attention tiles are claimed costliest first (`ForwardPass.costliestFirst`), so that the last
/// claims of a layer are small ones and no core waits long for the other.
final class AttentionTileOrderTests: XCTestCase {
    func testTilesComeByFallingCostWithTiesInTokenOrder() {
        // Tokens: a decode token at position 5, a prefill tile of 16 at positions 0...15, a
        // decode token at position 100, and two decode tokens at position 5 again.
        let positions: [Int32] = [5] + (0..<16).map(Int32.init) + [100, 5, 5]
        let tiles: [(start: Int, count: Int)] = [(0, 1), (1, 16), (17, 1), (18, 1), (19, 1)]
        // Costs without a window: 6, 1 + 2 + ... + 16 = 136, 101, 6, 6.
        XCTAssertEqual(ForwardPass.costliestFirst(tiles, positions: positions, window: nil), [1, 2, 0, 3, 4])
        // A window of 8: 6; 1 + ... + 8 + 8 · 8 = 100; 8; 6; 6.
        XCTAssertEqual(ForwardPass.costliestFirst(tiles, positions: positions, window: 8), [1, 2, 0, 3, 4])
        // A window of 4: 4; 1 + 2 + 3 + 4 + 12 · 4 = 58; 4; 4; 4 (the four ties in token order).
        XCTAssertEqual(ForwardPass.costliestFirst(tiles, positions: positions, window: 4), [1, 0, 2, 3, 4])
    }

    func testNoTilesGiveNoOrder() {
        XCTAssertEqual(ForwardPass.costliestFirst([], positions: [], window: nil), [])
    }
}
