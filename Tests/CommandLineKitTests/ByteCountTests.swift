import XCTest
import CommandLineKit

final class ByteCountTests: XCTestCase {
    func testParsesBinaryAndDecimalUnits() throws {
        XCTAssertEqual(try ByteCount.parse("2GiB"), 2 << 30)
        XCTAssertEqual(try ByteCount.parse("512MiB"), 512 << 20)
        XCTAssertEqual(try ByteCount.parse("1.5GB"), 1_500_000_000)
        XCTAssertEqual(try ByteCount.parse("4096"), 4096)
        XCTAssertEqual(try ByteCount.parse(" 2 g "), 2 << 30)
        XCTAssertEqual(try ByteCount.parse("64kb"), 64_000)
        XCTAssertEqual(try ByteCount.parse("0.5KiB"), 512)
    }

    func testRejectsWhatIsNotASize() {
        for text in ["", "GiB", "2XB", "1.2.3MB", "-1GB", "0", "1e3MB", "99999999999TB"] {
            XCTAssertThrowsError(try ByteCount.parse(text), text) { error in
                XCTAssertTrue(String(describing: error).contains("is not a size"), "\(error)")
            }
        }
        XCTAssertThrowsError(try ByteCount.parse("2XB")) {
            XCTAssertEqual(String(describing: $0),
                           "'2XB' is not a size: unknown unit 'xb'; write a number with an optional unit B, KB, KiB, MB, MiB, GB, GiB, TB or TiB (e.g. 2GiB, 512MiB, 1.5GB)")
        }
    }

    func testFormatsForMessages() {
        XCTAssertEqual(ByteCount.format(2 << 30), "2 GiB")
        XCTAssertEqual(ByteCount.format(1536 << 10), "1.5 MiB")
        XCTAssertEqual(ByteCount.format(100), "100 B")
    }
}
