import Foundation
import StructuredOutput
import XCTest

/// Schemas compiled to grammars: which complete outputs they accept, and what they refuse at
/// submit (with the JSON pointer of the schema object at fault).
final class SchemaCompilerTests: XCTestCase {
    func assertLanguage(_ schema: String, accepts yes: [String], rejects no: [String],
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let compiled = try SchemaFixtures.compile(schema, file: file, line: line)
        for text in yes { XCTAssertTrue(compiled.accepts(text), "should accept \(text)", file: file, line: line) }
        for text in no { XCTAssertFalse(compiled.accepts(text), "should reject \(text)", file: file, line: line) }
    }

    func testObjectsKeepPropertyOrderAndRequiredOnes() throws {
        let schema = #"{"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}}, "required": ["name", "tags"], "additionalProperties": false}"#
        try assertLanguage(schema, accepts: [
            #"{"name":"Ann","age":3,"tags":[]}"#,
            #"{"name": "Ann", "tags": ["a", "b"]}"#,
            "{\n  \"name\": \"Ann\",\n  \"tags\": [\"x\"]\n}",
            #" {"name":"","tags":[]}"#,
        ], rejects: [
            #"{"name":"Ann"}"#,
            #"{"tags":[],"name":"Ann"}"#,
            #"{"name":"Ann","tags":[],"extra":1}"#,
            #"{"name":"Ann","age":3.5,"tags":[]}"#,
            #"{"name":"Ann","tags":[]} "#,
            #"{"name":"Ann",,"tags":[]}"#,
        ])
    }

    func testAllOptionalPropertiesAndEmptyObjects() throws {
        try assertLanguage(#"{"type": "object", "properties": {"a": {"type": "boolean"}, "b": {"type": "null"}}}"#,
                           accepts: ["{}", "{ }", #"{"a":true}"#, #"{"b":null}"#, #"{"a":false,"b":null}"#],
                           rejects: [#"{"b":null,"a":true}"#, #"{,"b":null}"#, #"{"a":true,}"#])
    }

    func testWhitespaceIsBounded() throws {
        let compiled = try SchemaFixtures.compile(#"{"type": "array", "items": {"type": "integer"}}"#)
        XCTAssertTrue(compiled.accepts("[" + String(repeating: " ", count: 20) + "1]"))
        XCTAssertFalse(compiled.accepts("[" + String(repeating: " ", count: 21) + "1]"))
        XCTAssertFalse(compiled.acceptsPrefix("[" + String(repeating: "\n", count: 21)))
    }

    func testArraysWithCounts() throws {
        try assertLanguage(#"{"type": "array", "items": {"enum": [1, 2]}, "minItems": 2, "maxItems": 3}"#,
                           accepts: ["[1,2]", "[2, 2, 1]"], rejects: ["[]", "[1]", "[1,2,1,2]", "[3,1]"])
        try assertLanguage(#"{"type": "array", "maxItems": 0}"#, accepts: ["[]", "[ ]"], rejects: ["[1]"])
    }

    func testStringsEnumsAndConsts() throws {
        try assertLanguage(#"{"enum": ["red", "green", "say \"hi\"", 3, null, {"a": [1]}]}"#,
                           accepts: [#""red""#, #""say \"hi\"""#, "3", "null", #"{"a":[1]}"#],
                           rejects: [#""blue""#, #""re""#, "4", #"{"a":[2]}"#])
        try assertLanguage(#"{"const": "only"}"#, accepts: [#""only""#], rejects: [#""onl""#])
        try assertLanguage(#"{"type": "string", "minLength": 2, "maxLength": 3}"#,
                           accepts: [#""ab""#, #""日本語""#, #""a\"""#], rejects: [#""a""#, #""abcd""#])
        try assertLanguage(#"{"type": "string"}"#,
                           accepts: [#""héllo 🌍 \\ \" \n""#], rejects: ["\"a\u{1}\"", "\"tab\tinside\"", #""\q""#])
    }

    func testFormats() throws {
        try assertLanguage(#"{"type": "string", "format": "date"}"#,
                           accepts: [#""2024-02-29""#, #""2000-02-29""#, #""1999-12-31""#, #""0004-02-29""#],
                           rejects: [#""2023-02-29""#, #""1900-02-29""#, #""2024-04-31""#, #""2024-13-01""#, #""0000-01-01""#, #""24-01-01""#])
        try assertLanguage(#"{"type": "string", "format": "date-time"}"#,
                           accepts: [#""2024-05-06T07:08:09Z""#, #""2024-05-06T23:59:59.123+02:00""#],
                           rejects: [#""2024-05-06 07:08:09Z""#, #""2024-05-06T24:00:00Z""#, #""2024-05-06T07:08:09""#])
        try assertLanguage(#"{"type": "string", "format": "email"}"#,
                           accepts: [#""ann.lee+news@mail.example.org""#], rejects: [#""ann@""#, #""@x.org""#, #""ann@x""#, #""a b@x.org""#])
        try assertLanguage(#"{"type": "string", "format": "uuid"}"#,
                           accepts: [#""123e4567-e89b-12d3-a456-426614174000""#], rejects: [#""123e4567e89b12d3a456426614174000""#])
    }

    /// Every integer in a window around the bounds: accepted exactly when inside them.
    func testIntegerBoundsAreExact() throws {
        let cases: [(String, Int?, Int?)] = [
            (#""minimum": -123, "maximum": 4567"#, -123, 4567),
            (#""minimum": 18"#, 18, nil),
            (#""maximum": -7"#, nil, -7),
            (#""exclusiveMinimum": 0, "exclusiveMaximum": 100"#, 1, 99),
            (#""minimum": 0.5, "maximum": 10.5"#, 1, 10),
            (#""minimum": 1000, "maximum": 1000"#, 1000, 1000),
        ]
        for (bounds, low, high) in cases {
            let compiled = try SchemaFixtures.compile(#"{"type": "integer", \#(bounds)}"#)
            for value in -1_500...5_000 {
                let inside = (low.map { value >= $0 } ?? true) && (high.map { value <= $0 } ?? true)
                XCTAssertEqual(compiled.accepts(String(value)), inside, "\(bounds): \(value)")
            }
            XCTAssertFalse(compiled.accepts("-0"), bounds)
            XCTAssertFalse(compiled.accepts("01"), bounds)
            XCTAssertFalse(compiled.accepts("1.0"), bounds)
        }
        let wide = try SchemaFixtures.compile(#"{"type": "integer", "minimum": -9000000000000000000, "maximum": 9000000000000000000}"#)
        XCTAssertTrue(wide.accepts("-9000000000000000000"))
        XCTAssertTrue(wide.accepts("8999999999999999999"))
        XCTAssertFalse(wide.accepts("9000000000000000001"))
    }

    /// Numbers with whole-number bounds: integers, and decimals with up to 15 fraction digits.
    func testNumberBoundsAreExact() throws {
        let compiled = try SchemaFixtures.compile(#"{"type": "number", "minimum": -2, "exclusiveMaximum": 3}"#)
        var tried = 0
        for whole in -5...6 {
            for fraction in ["", ".5", ".05", ".999", ".0001", ".10", ".0"] {
                for sign in ["", "-"] {
                    let text = sign + String(abs(whole)) + fraction
                    let value = Double(text)!
                    let canonical = !(sign == "-" && whole == 0 && fraction.isEmpty) && !fraction.hasSuffix("0")
                    XCTAssertEqual(compiled.accepts(text), canonical && value >= -2 && value < 3, text)
                    tried += 1
                }
            }
        }
        XCTAssertGreaterThan(tried, 100)
        try assertLanguage(#"{"type": "number"}"#, accepts: ["0", "-1.5e10", "3.25E-3", "12"], rejects: ["01", "1.", ".5", "+1", "1e"])
    }

    func testAnyOfTypeListsAndRecursiveReferences() throws {
        let tree = ##"{"$defs": {"node": {"type": "object", "properties": {"value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}, "required": ["value", "children"], "additionalProperties": false}}, "$ref": "#/$defs/node"}"##
        try assertLanguage(tree, accepts: [
            #"{"value":1,"children":[]}"#,
            #"{"value":1,"children":[{"value":2,"children":[{"value":3,"children":[]}]}]}"#,
        ], rejects: [#"{"value":1,"children":[{"value":2}]}"#])
        try assertLanguage(#"{"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]}"#,
                           accepts: [#""x""#, "5"], rejects: ["-5", "true"])
        try assertLanguage(#"{"type": ["string", "null"]}"#, accepts: ["null", #""a""#], rejects: ["1"])
        try assertLanguage(##"{"type": "object", "properties": {"self": {"$ref": "#"}}}"##,
                           accepts: ["{}", #"{"self":{"self":{}}}"#], rejects: [#"{"self":1}"#])
    }

    func testJSONObjectAcceptsAnyObject() throws {
        let compiled = try OutputFormat.jsonObject.compile()
        XCTAssertTrue(compiled.accepts(#"{"a": [1, {"b": null}, "x", -2.5e3, true]}"#))
        XCTAssertTrue(compiled.accepts("{}"))
        XCTAssertFalse(compiled.accepts("[1]"))
        XCTAssertFalse(compiled.accepts(#""text""#))
        XCTAssertFalse(compiled.accepts(#"{"a":}"#))
    }

    func testUnsupportedKeywordsAreRefusedWithTheirPointer() {
        let cases: [(String, String, String)] = [
            (#"{"type": "object", "properties": {"age": {"type": "integer", "multipleOf": 5}}}"#, "/properties/age", "\"multipleOf\" is not supported"),
            (#"{"oneOf": [{"type": "string"}]}"#, "", "\"oneOf\" is not supported (use \"anyOf\""),
            (#"{"type": "array", "items": {"type": "object", "properties": {"a/b": {"not": {}}}}}"#, "/items/properties/a~1b", "\"not\" is not supported"),
            (#"{"$defs": {"x": {"type": "string", "format": "uri"}}, "type": "string"}"#, "/$defs/x", "format \"uri\" is not supported"),
            (#"{"type": "number", "minimum": 0.5}"#, "", "not a whole number"),
            (#"{"type": "integer", "minimum": 5, "maximum": 4}"#, "", "no integer lies between"),
            (#"{"type": "object", "properties": {"a": {}}, "required": ["b"]}"#, "", "\"b\", which is not in \"properties\""),
            (##"{"$ref": "#/$defs/missing"}"##, "", "names nothing"),
            (##"{"$ref": "https://example.com/s.json"}"##, "", "only references inside the schema"),
            (#"{"type": "strin"}"#, "", "unknown type \"strin\""),
            (#"{"type": "string", "minimum": 1}"#, "", "\"minimum\" does not apply to type string"),
            (#"{"enum": ["a", 1], "type": "string"}"#, "", "1 is not of type string"),
            (#"{"type": "array", "items": [{"type": "string"}]}"#, "", "tuple validation"),
            (##"{"type": "object", "properties": {"next": {"$ref": "#"}}, "required": ["next"]}"##, "", "no finite value"),
            (##"{"anyOf": [{"$ref": "#"}, {"type": "string"}]}"##, "", "left recursion"),
            (#"false"#, "", "accepts no value"),
            (#"{"type": "array", "maxItems": 100000}"#, "", "above 512"),
        ]
        for (schema, pointer, message) in cases {
            guard let error = SchemaFixtures.refusal(schema) else { continue }
            XCTAssertEqual(error.pointer, pointer, schema)
            XCTAssertTrue(error.message.contains(message), "\(schema): \(error.message)")
        }
    }
}
