import XCTest
@testable import Tokenizer

final class SpecialTokenSplitterTests: XCTestCase {
    /// 0 `<a>` control, 1 `<a><b>` control, 2 `<b>` user-defined, 3 `  ` user-defined,
    /// 4 `   ` user-defined, 5 `x` normal.
    private let vocabulary = Vocabulary(
        source: "splitter", tokens: ["<a>", "<a><b>", "<b>", "  ", "   ", "x"],
        tokenTypes: [.control, .control, .userDefined, .userDefined, .userDefined, .normal])

    private func split(_ text: String, parseSpecial: Bool) -> [SpecialTokenSplitter.Fragment] {
        var text = text
        let splitter = SpecialTokenSplitter(vocabulary: vocabulary)
        return text.withUTF8 { splitter.split($0, parseSpecial: parseSpecial) }
    }

    func testTextWithoutSpecialTokensIsOneFragment() {
        XCTAssertEqual(split("xyz", parseSpecial: true), [.text(0..<3)])
        XCTAssertEqual(split("", parseSpecial: true), [])
    }

    func testLongerTokensClaimTheirTextFirst() {
        XCTAssertEqual(split("x<a><b>x", parseSpecial: true), [.text(0..<1), .token(1), .text(7..<8)])
    }

    func testControlTokensAreTextUnlessParseSpecial() {
        XCTAssertEqual(split("<a><b>", parseSpecial: false), [.text(0..<3), .token(2)])
        XCTAssertEqual(split("<a>x", parseSpecial: false), [.text(0..<4)])
    }

    func testRunsAreCutLongestFirstWithoutOverlap() {
        // Seven spaces: the three-space token claims 0..<3 and 3..<6, the last space stays text.
        XCTAssertEqual(split("       ", parseSpecial: false), [.token(4), .token(4), .text(6..<7)])
        // Five spaces: three then two.
        XCTAssertEqual(split("x     x", parseSpecial: false), [.text(0..<1), .token(4), .token(3), .text(6..<7)])
    }

    func testAdjacentTokensAreAllFound() {
        XCTAssertEqual(split("<b><b>x<b>", parseSpecial: false), [.token(2), .token(2), .text(6..<7), .token(2)])
    }
}
