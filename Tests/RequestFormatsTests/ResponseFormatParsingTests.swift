import StructuredOutput
import XCTest
@testable import RequestFormats
import JobStore
import TestSupport

/// `response_format` on chat and completions lines and the short form, `text.format` on
/// Responses lines: what is accepted and stored, and what is refused at submit with the file,
/// the line and the JSON pointer of the schema object at fault.
final class ResponseFormatParsingTests: XCTestCase {
    let schema = #"{"type": "object", "properties": {"label": {"enum": ["a", "b"]}}, "required": ["label"], "additionalProperties": false}"#

    func problems(_ text: String) -> [String] {
        StoreFixture.parse(text).problems.map { $0.formatted(file: "batch.jsonl") }
    }

    func testJSONSchemaOnEveryKindOfLineIsStoredWithTheJob() throws {
        let lines = [
            #"{"custom_id": "c", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "json_schema": {"name": "label", "strict": true, "schema": \#(schema)}}}}"#,
            #"{"custom_id": "p", "method": "POST", "url": "/v1/completions", "body": {"prompt": "x", "response_format": {"type": "json_schema", "json_schema": {"name": "label", "strict": true, "schema": \#(schema)}}}}"#,
            #"{"custom_id": "r", "method": "POST", "url": "/v1/responses", "body": {"input": "x", "text": {"format": {"type": "json_schema", "name": "label", "strict": true, "schema": \#(schema)}}}}"#,
            #"{"id": "s", "prompt": "x", "response_format": {"type": "json_schema", "json_schema": {"name": "label", "strict": true, "schema": \#(schema)}}}"#,
        ]
        let file = StoreFixture.parse(lines.joined(separator: "\n"))
        XCTAssertEqual(file.problems.map { $0.formatted(file: "batch.jsonl") }, [])
        XCTAssertEqual(file.jobs.count, 4)
        for job in file.jobs {
            let format = try XCTUnwrap(job.request.responseFormat)
            XCTAssertEqual(format.name, "label")
            XCTAssertEqual(format.strict, true)
            guard case .jsonSchema(let value) = format.format else { return XCTFail("not a schema") }
            XCTAssertEqual(value["required"], .array([.string("label")]))
            // The stored form reads back the same, and the format is part of the hash.
            XCTAssertEqual(try JobRequest(canonicalJSON: job.request.canonicalJSON), job.request)
            var free = job.request
            free.responseFormat = nil
            XCTAssertNotEqual(free.hash, job.request.hash)
        }
    }

    func testJSONObjectAndText() throws {
        let file = StoreFixture.parse("""
            {"id": "o", "prompt": "x", "response_format": {"type": "json_object"}}
            {"id": "t", "prompt": "x", "response_format": {"type": "text"}}
            {"custom_id": "r", "method": "POST", "url": "/v1/responses", "body": {"input": "x", "text": {"format": {"type": "json_object"}}}}
            """)
        XCTAssertEqual(file.problems.map { $0.formatted(file: "batch.jsonl") }, [])
        XCTAssertEqual(file.jobs[0].request.responseFormat, ResponseFormat(format: .jsonObject))
        XCTAssertNil(file.jobs[1].request.responseFormat)
        XCTAssertEqual(file.jobs[1].request.ignoredFields.map(\.key), ["response_format"])
        XCTAssertEqual(file.jobs[2].request.responseFormat, ResponseFormat(format: .jsonObject))
    }

    func testUnsupportedSchemasAreRefusedWithFileLineAndPointer() {
        let lines = [
            #"{"id": "ok", "prompt": "x"}"#,
            #"{"id": "a", "prompt": "x", "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object", "properties": {"age": {"type": "integer", "multipleOf": 5}}}}}}"#,
            #"{"custom_id": "b", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "string", "pattern": "(?=x)"}}}}}"#,
            #"{"custom_id": "c", "method": "POST", "url": "/v1/responses", "body": {"input": "x", "text": {"format": {"type": "json_schema", "name": "n", "schema": {"$defs": {"d": {"oneOf": []}}}}}}}"#,
            #"{"id": "d", "prompt": "x", "response_format": {"type": "json_schema", "json_schema": {"name": "n"}}}"#,
            #"{"id": "e", "prompt": "x", "response_format": {"type": "xml"}}"#,
            #"{"id": "f", "prompt": "x", "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {}, "strcit": true}}}"#,
        ]
        let found = problems(lines.joined(separator: "\n"))
        let expected = [
            #"batch.jsonl:2: response_format.json_schema.schema/properties/age: "multipleOf" is not supported"#,
            #"batch.jsonl:3: body.response_format.json_schema.schema: "pattern" "(?=x)": lookaround and named groups are not supported at character 1 of the pattern"#,
            #"batch.jsonl:4: body.text.format.schema/$defs/d: "oneOf" is not supported (use "anyOf": the output then matches at least one branch)"#,
            #"batch.jsonl:5: response_format.json_schema.schema: missing (the JSON schema the output must follow)"#,
            #"batch.jsonl:6: response_format.type: must be "text", "json_object" or "json_schema", got "xml""#,
            #"batch.jsonl:7: response_format.json_schema.strcit: unknown field (did you mean strict?)"#,
        ]
        XCTAssertEqual(found, expected)
    }
}
