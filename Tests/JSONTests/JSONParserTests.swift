import XCTest
@testable import JSON

final class JSONParserTests: XCTestCase {
    func testParsesNestedDocumentKeepingMemberOrder() throws {
        let value = try JSONParser.parse(#" {"b": [1, -2.5e1, true, null], "a": {"x": "y"}} "#)
        XCTAssertEqual(value, .object([
            JSONMember("b", .array([.integer(1), .number(-25, written: "-2.5e1"), .bool(true), .null])),
            JSONMember("a", .object([JSONMember("x", .string("y"))])),
        ]))
    }

    func testKeepsIntegersApartFromOtherNumbers() throws {
        XCTAssertEqual(try JSONParser.parse("5"), .integer(5))
        XCTAssertEqual(try JSONParser.parse("5.0"), .number(5, written: "5.0"))
        XCTAssertEqual(try JSONParser.parse("1e2"), .number(100, written: "1e2"))
        XCTAssertEqual(try JSONParser.parse("-0"), .integer(0))
        // Beyond 64 bits an integer literal is still a number, just not an Int64.
        XCTAssertEqual(try JSONParser.parse("12345678901234567890"),
                       .number(1.2345678901234567e19, written: "12345678901234567890"))
        XCTAssertEqual(try JSONParser.parse("8.0").integralValue, 8)
        XCTAssertEqual(try JSONParser.parse("1e2").integralValue, 100)
        XCTAssertNil(try JSONParser.parse("8.5").integralValue)
        XCTAssertNil(try JSONParser.parse("18446744073709551615").integralValue)
        XCTAssertEqual(try JSONParser.parse("8.50").summary, "8.50", "shown as written")
    }

    func testDecodesEscapesAndSurrogatePairs() throws {
        let value = try JSONParser.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#)
        XCTAssertEqual(value, .string("a\"b\\c/d\n\té😀"))
    }

    func testRejectsMalformedInputWithColumn() {
        let cases: [(String, String)] = [
            (#"{"a": 1,}"#, "expected a quoted key"),
            (#"{"a": 1 "b": 2}"#, "expected ',' or '}'"),
            (#"{"a": 1, "a": 2}"#, "duplicate key \"a\""),
            (#"[1, 2"#, "expected ',' or ']'"),
            (#""abc"#, "string is not closed"),
            (#"{"a": tru}"#, "expected a value"),
            (#"01"#, "leading zero"),
            (#"1."#, "expected a digit after '.'"),
            (#""\x""#, "invalid escape"),
            (#""\ud800""#, "unpaired surrogate"),
            ("\"a\tb\"", "control character"),
            (#"{} {}"#, "after the value"),
            ("", "unexpected end of line"),
            ("1e999", "out of range"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try JSONParser.parse(text), text) { error in
                XCTAssertTrue(String(describing: error).contains(expected),
                              "\(text): \(error) should mention \(expected)")
                XCTAssertTrue(String(describing: error).contains("at column"), "\(error)")
            }
        }
    }

    func testReportsColumnOfTheProblem() {
        XCTAssertThrowsError(try JSONParser.parse(#"{"a": 1 "b": 2}"#)) { error in
            XCTAssertEqual((error as? JSONParser.Failure)?.column, 9)
        }
    }

    func testRejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        XCTAssertThrowsError(try bytes.withUnsafeBufferPointer { try JSONParser.parse($0) }) { error in
            XCTAssertTrue(String(describing: error).contains("UTF-8"))
        }
    }

    func testRefusesDeepNesting() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        XCTAssertThrowsError(try JSONParser.parse(deep)) { error in
            XCTAssertTrue(String(describing: error).contains("nesting deeper"))
        }
    }

    func testSerializationRoundTrips() throws {
        let value = JSONValue.object([
            JSONMember("text", .string("quote \" backslash \\ newline \n tab \t bell \u{07} é")),
            JSONMember("n", .integer(-3)),
            JSONMember("x", .double(0.1)),
            JSONMember("whole", .double(2)),
            JSONMember("list", .array([.null, .bool(false)])),
        ])
        let text = value.serialized()
        XCTAssertEqual(text, #"{"text":"quote \" backslash \\ newline \n tab \t bell \u0007 é","n":-3,"x":0.1,"whole":2,"list":[null,false]}"#)
        var reparsed = try JSONParser.parse(text)
        // Numbers read back keep their text; built doubles print without a fraction when whole.
        if case .object(var members) = reparsed {
            XCTAssertEqual(members[2].value, .number(0.1, written: "0.1"))
            members[2].value = .double(0.1)
            members[3].value = .double(2)
            reparsed = .object(members)
        }
        XCTAssertEqual(reparsed, value)
    }

    /// Characters that act on a terminal without being JSON's business (DEL, C1 controls, bidi
    /// embeddings, overrides and isolates, line and paragraph separators) are written escaped;
    /// their neighbours (other punctuation of the same lead bytes: U+2026, U+201C, U+2065,
    /// U+206A, U+00A0, U+202F) are copied as they are.
    func testTerminalControlsAreWrittenEscapedAndReadBack() throws {
        let text = "a\u{7F}b\u{80}\u{9B}c\u{A0}d\u{2026}\u{201C}\u{2027}\u{2028}\u{2029}\u{202A}\u{202E}\u{202F}"
            + "\u{2065}\u{2066}\u{2069}\u{206A}e\u{1F600}"
        let written = JSONValue.string(text).serialized()
        XCTAssertEqual(written, "\"a\\u007fb\\u0080\\u009bc\u{A0}d\u{2026}\u{201C}\u{2027}\\u2028\\u2029\\u202a\\u202e\u{202F}"
                       + "\u{2065}\\u2066\\u2069\u{206A}e\u{1F600}\"")
        XCTAssertEqual(try JSONParser.parse(written), .string(text))
    }

    func testNonFiniteNumbersSerializeAsNull() {
        XCTAssertEqual(JSONValue.double(.infinity).serialized(), "null")
        XCTAssertEqual(JSONValue.double(.nan).serialized(), "null")
    }
}
