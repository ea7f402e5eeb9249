import StructuredOutput
import XCTest

/// The pattern subset: what it parses, what strings it then lets through (as JSON string
/// values), and what it refuses.
final class PatternTests: XCTestCase {
    func format(_ pattern: String) throws -> CompiledOutputFormat {
        let escaped = SchemaValueText.quoted(pattern)
        return try SchemaFixtures.compile(#"{"type": "string", "pattern": \#(escaped)}"#)
    }

    func assertMatches(_ pattern: String, _ yes: [String], _ no: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let compiled = try format(pattern)
        for text in yes {
            XCTAssertTrue(compiled.accepts(SchemaValueText.quoted(text)), "\(pattern) should match \(text)", file: file, line: line)
        }
        for text in no {
            XCTAssertFalse(compiled.accepts(SchemaValueText.quoted(text)), "\(pattern) should not match \(text)", file: file, line: line)
        }
    }

    func testAnchoredLiteralsClassesAndQuantifiers() throws {
        try assertMatches("^[A-Z]{2}-\\d{3,4}$", ["AB-123", "ZZ-0000"], ["AB-12", "ab-123", "AB-12345", "xAB-123", "AB-123 "])
        try assertMatches("^a+b*c?$", ["a", "aaab", "abbbc", "ac"], ["", "b", "abcc", "ca"])
        try assertMatches("^(cat|dog)s?$", ["cat", "dogs"], ["cow", "catss", "cat dog"])
        try assertMatches("^(?:ab){2,}$", ["abab", "ababab"], ["ab", "aba"])
        try assertMatches("^[^0-9]*$", ["", "abc", "é ü", "quote\"here"], ["a1"])
        try assertMatches("^\\w+@\\w+\\.com$", ["me@site.com"], ["me@site.org", "@site.com"])
        try assertMatches("^.{3}$", ["abc", "日本語", "a\"b"], ["ab", "abcd", "a\nb"])
        try assertMatches("^[а-я]+$", ["привет"], ["hello", "Привет"])
        try assertMatches("^\\$\\d+\\.\\d\\d$", ["$3.50"], ["3.50", "$3.5"])
        try assertMatches("^x{0,2}$|^y$", ["", "x", "xx", "y"], ["xxx", "xy"])
        try assertMatches("^[\\s\\S]{2}$", ["a\n", "\t\""], ["a"])
    }

    func testUnanchoredPatternsMatchAnywhere() throws {
        try assertMatches("\\d{3}", ["123", "abc 456 def", "x1234"], ["12", "ab"])
        try assertMatches("^start", ["start", "started!"], ["a start"])
        try assertMatches("end$", ["the end", "end"], ["ending"])
    }

    func testEscapedCharactersAreWrittenInOneJSONForm() throws {
        let compiled = try format("^a\"b\\\\c\\n$")
        XCTAssertTrue(compiled.accepts(#""a\"b\\c\n""#))
        XCTAssertFalse(compiled.accepts(#""a\u0022b\\c\n""#), "escapes other than the canonical ones are not generated")
    }

    func testRefusedSyntax() {
        let refused: [(String, String)] = [
            ("(?=a)b", "lookaround"),
            ("(?<name>a)", "lookaround and named groups"),
            ("(a)\\1", "backreferences"),
            ("\\bword\\b", "word boundaries"),
            ("\\p{L}+", "Unicode property"),
            ("a^b", "\"^\" and \"$\" are supported only"),
            ("a{1000}", "repetition counts above"),
            ("(ab", "missing \")\""),
            ("ab)", "unbalanced"),
            ("*a", "nothing to repeat"),
            ("[a-", "missing \"]\""),
            ("[z-a]", "out of order"),
            ("a**", "two quantifiers"),
        ]
        for (pattern, expected) in refused {
            let error = SchemaFixtures.refusal(#"{"type": "string", "pattern": \#(SchemaValueText.quoted(pattern))}"#)
            XCTAssertTrue(error?.message.contains(expected) ?? false, "\(pattern): \(error?.message ?? "compiled")")
            XCTAssertEqual(error?.pointer, "", pattern)
        }
    }
}

/// JSON string quoting for building test inputs.
enum SchemaValueText {
    static func quoted(_ text: String) -> String { SchemaValue.string(text).serialized() }
}
