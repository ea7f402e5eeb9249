import Foundation
import JobStore
import RequestFormats
import StructuredOutput
import XCTest

/// Structured output from the command line: the sample submits with its formats, a schema that
/// cannot be enforced is refused at submit with file, line and pointer and nothing goes in, and
/// `jobs show` prints the format.
final class StructuredOutputCommandTests: XCTestCase {
    func testTheStructuredSampleSubmitsWithItsFormats() throws {
        let harness = CLIHarness()
        let outcome = harness.run("submit", SamplesTests.samples + "/structured.jsonl")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        let jobs = try harness.store().list(batch: "structured", limit: 100).jobs
        XCTAssertGreaterThanOrEqual(jobs.count, 10)
        XCTAssertTrue(try jobs.allSatisfy { try $0.decodedRequest().responseFormat != nil })
        let classifications = jobs.filter { $0.customID.hasPrefix("review-") }
        XCTAssertGreaterThanOrEqual(classifications.count, 8)
        for job in classifications {
            XCTAssertEqual(try job.decodedRequest().responseFormat?.format,
                           .jsonSchema(.object([(key: "enum", value: .array([.string("positive"), .string("negative"), .string("neutral")]))])))
        }
        let show = harness.run("show", "structured/review-01")
        XCTAssertTrue(show.output.contains(#"json_schema sentiment {"enum":["positive","negative","neutral"]}"#), show.output)
    }

    func testUnsupportedSchemasAreRefusedAtSubmitAndNothingIsQueued() throws {
        let harness = CLIHarness()
        let file = harness.file("batch.jsonl", [
            #"{"id": "a", "prompt": "p"}"#,
            #"{"id": "b", "prompt": "p", "response_format": {"type": "json_object"}}"#,
            #"{"id": "c", "prompt": "p", "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object", "properties": {"age": {"type": "integer", "multipleOf": 5}}}}}}"#,
            #"{"custom_id": "d", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "array", "items": {"type": "string", "pattern": "\\bword"}}}}}}"#,
        ])
        let outcome = harness.run("submit", file)
        XCTAssertEqual(outcome.code, 1)
        XCTAssertTrue(outcome.errors.contains(#"batch.jsonl:3: response_format.json_schema.schema/properties/age: "multipleOf" is not supported"#), outcome.errors)
        XCTAssertTrue(outcome.errors.contains(#"batch.jsonl:4: body.response_format.json_schema.schema/items: "pattern" "\\bword": word boundaries (\b, \B) are not supported"#), outcome.errors)
        XCTAssertEqual(try harness.store().counts().queued, 0)
    }
}
