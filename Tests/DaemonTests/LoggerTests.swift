import Foundation
import XCTest
@testable import Daemon

final class LoggerTests: XCTestCase {
    func testLineStartsWithTimestampLevelAndEventThenFieldsInOrder() throws {
        let capture = LogCapture()
        let logger = Logger(level: .info, sink: capture.sink)
        logger.info("claim", ("job", 42), ("batch", "nightly"), ("custom_id", "p7"), ("attempt", 1))
        let line = try XCTUnwrap(capture.all.first)
        XCTAssertNotNil(line.range(of: #"^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info event=claim job=42 batch=nightly custom_id=p7 attempt=1$"#,
                                   options: .regularExpression), line)
    }

    func testValuesWithSpacesQuotesAndControlCharactersAreQuotedAndParseBack() throws {
        let capture = LogCapture()
        let logger = Logger(level: .debug, sink: capture.sink)
        let awkward = ["two words", "say \"hi\"", "a=b", "back\\slash", "line\nbreak\ttab", "", "bell\u{7}", "naïve ✓",
                       "csi\u{9B}2J", "rtl\u{202E}x\u{2066}"]
        logger.log(.warn, "test", awkward.enumerated().map { ("v\($0.offset)", $0.element) })
        let line = try XCTUnwrap(capture.all.first)
        XCTAssertFalse(line.contains("\n"))
        let fields = try Logfmt.parse(line)
        for (index, value) in awkward.enumerated() {
            XCTAssertEqual(fields["v\(index)"], value)
        }
        XCTAssertTrue(line.contains(#"v7="naïve ✓""#), line)
        XCTAssertTrue(line.contains(#"v0="two words""#))
        // C1 controls and bidi overrides are escaped too: the line is safe to tail on a terminal.
        XCTAssertTrue(line.contains(#"v8="csi\u009b2J""#), line)
        XCTAssertTrue(line.contains(#"v9="rtl\u202ex\u2066""#), line)
        XCTAssertFalse(line.unicodeScalars.contains { (0x80...0x9F).contains($0.value) || $0.value == 0x202E }, line)
    }

    func testNilFieldsAreLeftOutAndNumbersArePlain() throws {
        let capture = LogCapture()
        let logger = Logger(level: .debug, sink: capture.sink)
        let missing: Int? = nil
        logger.info("numbers", ("none", missing), ("whole", 3.0), ("fraction", 0.1234567), ("flag", true), ("big", Int64.max))
        let fields = try Logfmt.parse(try XCTUnwrap(capture.all.first))
        XCTAssertNil(fields["none"])
        XCTAssertEqual(fields["whole"], "3")
        XCTAssertEqual(fields["fraction"], "0.123457")
        XCTAssertEqual(fields["flag"], "true")
        XCTAssertEqual(fields["big"], "9223372036854775807")
    }

    func testLevelFiltersLowerLevels() {
        let capture = LogCapture()
        let logger = Logger(level: .warn, sink: capture.sink)
        logger.debug("a")
        logger.info("b")
        logger.warn("c")
        logger.error("d")
        XCTAssertEqual(capture.all.compactMap { try? Logfmt.parse($0)["event"] }, ["c", "d"])
        XCTAssertEqual(LogLevel(name: "WARN"), .warn)
        XCTAssertNil(LogLevel(name: "verbose"))
    }

    func testTimestampIsUTCWithMilliseconds() {
        XCTAssertEqual(Logger.timestamp(Date(timeIntervalSince1970: 1_795_687_200.1234)), "2026-11-26T10:00:00.123Z")
        XCTAssertEqual(Logger.timestamp(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000Z")
    }

    func testLinesFromManyThreadsStayWhole() throws {
        let capture = LogCapture()
        let logger = Logger(level: .info, sink: capture.sink)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in 0..<200 { logger.info("spin", ("thread", thread), ("index", index), ("text", "some words here")) }
        }
        XCTAssertEqual(capture.all.count, 1600)
        for line in capture.all { XCTAssertEqual(try Logfmt.parse(line)["text"], "some words here") }
    }
}
