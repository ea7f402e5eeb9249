import XCTest
@testable import Tokenizer

final class StreamingDetokenizerTests: XCTestCase {
    private let tokenizer = try! TestVocabularies.sentencePieceTokenizer([("a", 0), ("▁b", 0)])

    /// Byte tokens have id 5 + byte in the test SentencePiece vocabulary.
    private func byteToken(_ byte: UInt8) -> Int32 { 5 + Int32(byte) }

    private func stream(_ tokens: [Int32]) -> [String] {
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        return tokens.map { detokenizer.append($0) } + [detokenizer.flush()]
    }

    func testEmojiSplitAcrossByteTokensAppearsWhenComplete() {
        let llama = Array("🦙".utf8).map(byteToken)
        XCTAssertEqual(stream(llama), ["", "", "", "🦙", ""])
    }

    func testTextAroundAnIncompleteCharacterIsNotHeldBack() {
        let a = tokenizer.token(forPiece: "a")!
        let b = tokenizer.token(forPiece: "▁b")!
        let han = Array("日".utf8).map(byteToken)  // E6 97 A5
        XCTAssertEqual(stream([a, han[0], han[1], han[2], b]), ["a", "", "", "日", " b", ""])
    }

    func testBytesThatCanNeverBeValidAreReplacedAtOnce() {
        // A lone continuation byte, then a lead byte followed by a non-continuation.
        XCTAssertEqual(stream([byteToken(0x80), byteToken(0xE6), byteToken(0x41)]), ["\u{FFFD}", "", "\u{FFFD}A", ""])
    }

    func testFlushReplacesAnUnfinishedCharacter() {
        XCTAssertEqual(stream([byteToken(0xF0), byteToken(0x9F)]), ["", "", "\u{FFFD}"])
    }

    func testControlTokensPrintOnlyWhenAskedFor() {
        var plain = StreamingDetokenizer(tokenizer: tokenizer)
        var special = StreamingDetokenizer(tokenizer: tokenizer, special: true)
        XCTAssertEqual(plain.append(3), "")
        XCTAssertEqual(special.append(3), "<start_of_turn>")
    }

    func testIncompleteTailDetection() {
        XCTAssertEqual(incompleteTailStart([0x61, 0xF0, 0x9F, 0xA6]), 1)
        XCTAssertEqual(incompleteTailStart([0xF0, 0x9F, 0xA6, 0x99]), 4)
        XCTAssertEqual(incompleteTailStart([0xE0, 0x80]), 2)  // overlong: can never complete
        XCTAssertEqual(incompleteTailStart([0xED, 0xA0]), 2)  // surrogate: can never complete
        XCTAssertEqual(incompleteTailStart([0xC3]), 0)
        XCTAssertEqual(incompleteTailStart([]), 0)
    }
}
