import XCTest
@testable import Tokenizer

final class ByteLevelAlphabetTests: XCTestCase {
    func testSpaceAndNewlineHaveGPT2Characters() {
        XCTAssertEqual(ByteLevelAlphabet.scalarForByte[0x20], "Ġ")
        XCTAssertEqual(ByteLevelAlphabet.scalarForByte[0x0A], "Ċ")
        XCTAssertEqual(ByteLevelAlphabet.scalarForByte[0x41], "A")
        XCTAssertEqual(ByteLevelAlphabet.scalarForByte[0xAD].value, 0x143)
    }

    func testEveryByteRoundTrips() {
        let all = (0...255).map { UInt8($0) }
        let piece = String(String.UnicodeScalarView(all.map { ByteLevelAlphabet.scalarForByte[Int($0)] }))
        var decoded: [UInt8] = []
        ByteLevelAlphabet.decode(piece, into: &decoded)
        XCTAssertEqual(decoded, all)
        XCTAssertEqual(Set(ByteLevelAlphabet.scalarForByte).count, 256)
    }
}
