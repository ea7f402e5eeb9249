import XCTest
@testable import Engine

final class UTF8StreamDecoderTests: XCTestCase {
    func testCharacterSplitOverPiecesIsHeldUntilComplete() {
        var decoder = UTF8StreamDecoder()
        let euro = Array("€".utf8) // three bytes
        XCTAssertEqual(decoder.decode([0x61, euro[0]]), "a")
        XCTAssertEqual(decoder.decode([euro[1]]), "")
        XCTAssertEqual(decoder.decode([euro[2], 0x62]), "€b")
        XCTAssertEqual(decoder.flush(), "")
    }

    func testFourByteCharacter() {
        var decoder = UTF8StreamDecoder()
        let bytes = Array("🙂".utf8)
        XCTAssertEqual(bytes.map { decoder.decode([$0]) }.joined(), "🙂")
    }

    func testInvalidBytesBecomeReplacementCharacter() {
        var decoder = UTF8StreamDecoder()
        XCTAssertEqual(decoder.decode([0x61, 0xFF, 0x62]), "a\u{FFFD}b")
        XCTAssertEqual(decoder.decode([0xE2, 0x82]), "")
        XCTAssertEqual(decoder.flush(), "\u{FFFD}", "an unfinished character at the end")
    }
}
