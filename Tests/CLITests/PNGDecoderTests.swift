import Foundation
import XCTest

/// The test helpers' own tests: the DEFLATE/zlib and PNG decoders that the report rendering
/// test reads Chromium's screenshots with, on streams Python's zlib wrote (`PNGFixtures`).
final class PNGDecoderTests: XCTestCase {
    /// What every zlib fixture holds.
    static let data: [UInt8] = (0..<1200).map { UInt8(($0 * 7 + $0 / 13) % 251) }
        + Array(String(repeating: "jobs report ", count: 50).utf8)

    func testEveryKindOfDeflateBlockDecodesToTheOriginalBytes() throws {
        for (name, fixture) in [("stored", PNGFixtures.stored), ("fixed Huffman", PNGFixtures.fixed),
                                ("dynamic Huffman", PNGFixtures.dynamic), ("Huffman only", PNGFixtures.huffmanOnly)] {
            XCTAssertEqual(try Inflate.zlib(PNGFixtures.bytes(fixture)), PNGDecoderTests.data, name)
        }
    }

    func testAWrongChecksumOrATruncatedStreamIsAnError() {
        var corrupt = PNGFixtures.bytes(PNGFixtures.dynamic)
        corrupt[corrupt.count - 1] ^= 1
        XCTAssertThrowsError(try Inflate.zlib(corrupt)) { XCTAssertEqual("\($0)", "zlib checksum mismatch") }
        let truncated = Array(PNGFixtures.bytes(PNGFixtures.fixed).prefix(100))
        XCTAssertThrowsError(try Inflate.zlib(truncated))
        XCTAssertThrowsError(try Inflate.zlib([0x78, 0x9c])) { XCTAssertTrue("\($0)".contains("too short")) }
        XCTAssertEqual(Inflate.adler32(Array("Wikipedia".utf8)), 0x11E6_0398, "RFC 1950's checksum of a known string")
    }

    func testPixelsOfRGBAndRGBAImagesThroughEveryFilterType() throws {
        func expected(_ x: Int, _ y: Int) -> [UInt8] {
            [UInt8((x * 37 + y * 11) % 256), UInt8((x * 5 + y * 91) % 256), UInt8((x * x + y) % 256)]
        }
        for (fixture, width, height) in [(PNGFixtures.pngRGB, 7, 10), (PNGFixtures.pngRGBA, 9, 6)] {
            let image = try PNGImage(bytes: PNGFixtures.bytes(fixture))
            XCTAssertEqual(image.width, width)
            XCTAssertEqual(image.height, height)
            for y in 0..<height {
                for x in 0..<width {
                    let at = (y * width + x) * 3
                    XCTAssertEqual(Array(image.rgb[at..<at + 3]), expected(x, y), "pixel (\(x), \(y))")
                }
            }
            XCTAssertEqual(image.histogram().values.reduce(0, +), width * height)
        }
    }

    func testNotAPNGIsRefusedWithAMessage() {
        XCTAssertThrowsError(try PNGImage(bytes: Array("GIF89a, not a PNG".utf8))) {
            XCTAssertEqual("\($0)", "not a PNG file")
        }
    }
}
