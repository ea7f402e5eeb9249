import Foundation
import TestSupport
import XCTest
@testable import Daemon
@testable import JobStore

/// Issue 10: a batch file written for OpenAI today (Samples/openai-batch-current.jsonl: chat,
/// completions and responses lines with the fields OpenAI's current reference lists) submits
/// unchanged, runs, and its results parse as OpenAI's output, one per line joined on custom_id.
final class OpenAIBatchFileTests: XCTestCase {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Samples/openai-batch-current.jsonl").path

    func testACurrentOpenAIBatchFileSubmitsRunsAndItsResultsJoinOnCustomID() throws {
        let text = try String(contentsOfFile: Self.file, encoding: .utf8)
        var inputByID: [String: JSONValue] = [:]
        for line in text.split(separator: "\n") {
            let value = try JSONParser.parse(String(line))
            guard case .string(let id)? = value["custom_id"] else { return XCTFail("no custom_id: \(line)") }
            inputByID[id] = value
        }
        XCTAssertGreaterThanOrEqual(inputByID.count, 30)
        let urls = Set(inputByID.values.compactMap { value -> String? in
            if case .string(let url)? = value["url"] { url } else { nil }
        })
        XCTAssertEqual(urls, ["/v1/chat/completions", "/v1/completions", "/v1/responses"])

        var bytes = Array(text.utf8)
        let parsed = bytes.withUnsafeMutableBufferPointer { BatchFileParser.parse(UnsafeBufferPointer($0)) }
        XCTAssertEqual(parsed.problems.map { $0.formatted(file: "openai-batch-current.jsonl") }, [])
        XCTAssertEqual(parsed.jobs.count, inputByID.count)

        let fixture = try DaemonFixture()
        let submission = BatchSubmission(name: "openai", source: Self.file, sha256: SHA256.hex(text), maxAttempts: 1,
                                         jobs: parsed.jobs)
        _ = try fixture.store.submit(submission)
        let summary = try fixture.daemon().run()
        XCTAssertEqual(summary.exit, .drained)
        XCTAssertEqual(summary.succeeded, inputByID.count)
        let errors = try fixture.jobs().compactMap(\.lastError)
        XCTAssertEqual(summary.failed, 0, "\(errors)")

        var output: [UInt8] = []
        try fixture.store.resultsStream { BatchOutputFormat.appendLine(for: $0, to: &output) }
        var outputByID: [String: JSONValue] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let value = try JSONParser.parse(String(line))
            guard case .string(let id)? = value["custom_id"] else { return XCTFail("no custom_id: \(line)") }
            XCTAssertNil(outputByID[id], "one output line per custom_id: \(id)")
            outputByID[id] = value
        }
        XCTAssertEqual(Set(outputByID.keys), Set(inputByID.keys))

        let schemas: [String: OpenAISchema] = ["/v1/chat/completions": .createChatCompletionResponse,
                                               "/v1/completions": .createCompletionResponse, "/v1/responses": .response]
        for (id, input) in inputByID {
            guard case .string(let url)? = input["url"], let schema = schemas[url] else { return XCTFail(id) }
            let line = try XCTUnwrap(outputByID[id])
            XCTAssertEqual(line["error"], .null, id)
            XCTAssertEqual(line["response"]?["status_code"], .integer(200), id)
            let body = try XCTUnwrap(line["response"]?["body"], id)
            XCTAssertEqual(schema.problems(in: body), [], "\(id): \(body.serialized())")
            // Usage adds up, and the token limit the line asked for was kept.
            let limitKey = url == "/v1/responses" ? "max_output_tokens"
                : input["body"]?["max_completion_tokens"] != nil ? "max_completion_tokens" : "max_tokens"
            let limit = try XCTUnwrap(input["body"]?[limitKey]?.numberValue, "\(id): \(limitKey)")
            let (used, total, given): (JSONValue?, JSONValue?, JSONValue?) = url == "/v1/responses"
                ? (body["usage"]?["output_tokens"], body["usage"]?["total_tokens"], body["usage"]?["input_tokens"])
                : (body["usage"]?["completion_tokens"], body["usage"]?["total_tokens"], body["usage"]?["prompt_tokens"])
            let usedCount = try XCTUnwrap(used?.numberValue, id), givenCount = try XCTUnwrap(given?.numberValue, id)
            XCTAssertEqual(total?.numberValue, usedCount + givenCount, id)
            XCTAssertLessThanOrEqual(usedCount, limit, id)
            if url == "/v1/responses", case .object(let metadata)? = input["body"]?["metadata"] {
                XCTAssertEqual(body["metadata"], .object(metadata), "\(id): metadata is echoed")
            }
        }
    }
}
