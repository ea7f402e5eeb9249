import Foundation
import TestSupport
import XCTest
import JSON
import JobStore
@testable import RequestFormats

/// Every body `jobs results` writes is valid against OpenAI's published schemas (issue 10,
/// fault 5): a typed client generated from that description must read our lines.
final class OpenAISchemaTests: XCTestCase {
    private func outputLines(_ lines: [String], results: [String: JobResult]) throws -> [String: JSONValue] {
        let fixture = try StoreFixture()
        try fixture.submit(lines)
        let jobs = try fixture.store.claim(limit: lines.count, owner: "d", lease: 30, now: StoreFixture.epoch)
        for job in jobs {
            if let result = results[job.customID] {
                try fixture.store.complete(jobID: job.id, owner: "d", result: result, now: StoreFixture.at(1))
            } else {
                try fixture.store.fail(jobID: job.id, owner: "d", message: "prompt too long", retryable: false,
                                       now: StoreFixture.at(1))
            }
        }
        var output: [UInt8] = []
        try fixture.store.resultsStream { BatchOutputFormat.appendLine(for: $0, to: &output) }
        var byID: [String: JSONValue] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let value = try JSONParser.parse(String(line))
            let id = try XCTUnwrap({ if case .string(let id)? = value["custom_id"] { id } else { nil } }(), String(line))
            byID[id] = value
        }
        return byID
    }

    private let batchLines = [
        #"{"custom_id": "chat", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}}"#,
        #"{"custom_id": "text", "method": "POST", "url": "/v1/completions", "body": {"model": "m", "prompt": "Once"}}"#,
        #"{"id": "short", "prompt": "Once"}"#,
        #"{"custom_id": "resp", "method": "POST", "url": "/v1/responses", "body": {"model": "m", "input": "Hi", "instructions": "Be brief.", "metadata": {"k": "v"}}}"#,
        #"{"custom_id": "resp-cut", "method": "POST", "url": "/v1/responses", "body": {"input": [{"role": "user", "content": [{"type": "input_text", "text": "Hi"}]}], "max_output_tokens": 5}}"#,
        #"{"custom_id": "failed", "method": "POST", "url": "/v1/completions", "body": {"prompt": "x"}}"#,
    ]

    func testEveryBodyIsValidAgainstOpenAIsSchemas() throws {
        var cut = StoreFixture.result("Hel")
        cut.finishReason = .length
        let results = ["chat": StoreFixture.result("Hello!"), "text": StoreFixture.result(" upon a time"),
                       "resp": StoreFixture.result("Hello."), "resp-cut": cut,
                       "short": {
            var result = StoreFixture.result(" more")
            result.finishReason = .length
            return result
        }()]
        let lines = try outputLines(batchLines, results: results)
        XCTAssertEqual(Set(lines.keys), ["chat", "text", "short", "failed", "resp", "resp-cut"])
        let schemas = ["chat": OpenAISchema.createChatCompletionResponse, "text": .createCompletionResponse,
                       "short": .createCompletionResponse, "resp": .response, "resp-cut": .response]
        for (id, schema) in schemas {
            let line = try XCTUnwrap(lines[id])
            XCTAssertEqual(line["response"]?["status_code"], .integer(200), id)
            let body = try XCTUnwrap(line["response"]?["body"], id)
            XCTAssertEqual(schema.problems(in: body), [], "\(id): \(body.serialized())")
            XCTAssertEqual(line["error"], .null)
        }
        // The Batch API's output line: id, custom_id, response (or null) and error (or null).
        let envelope = OpenAISchema.object(required: [
            "id": .string(), "custom_id": .string(),
            "response": .anyOf([.null, .object(required: ["status_code": .integer, "request_id": .string(), "body": .object(required: [:])])]),
            "error": .anyOf([.null, .object(required: ["code": .string(), "message": .string()])]),
        ])
        for (id, line) in lines { XCTAssertEqual(envelope.problems(in: line), [], id) }

        let response = try XCTUnwrap(lines["resp"]?["response"]?["body"])
        XCTAssertEqual(response["status"], .string("completed"))
        XCTAssertEqual(response["instructions"], .string("Be brief."))
        XCTAssertEqual(response["metadata"], .object([JSONMember("k", .string("v"))]))
        guard case .array(let output)? = response["output"], case .array(let content)? = output.first?["content"] else {
            return XCTFail("no output message")
        }
        XCTAssertEqual(content.first?["text"], .string("Hello."))
        XCTAssertEqual(response["usage"]?["input_tokens"], .integer(3))
        XCTAssertEqual(response["usage"]?["output_tokens"], .integer(5))
        let cutBody = try XCTUnwrap(lines["resp-cut"]?["response"]?["body"])
        XCTAssertEqual(cutBody["status"], .string("incomplete"))
        XCTAssertEqual(cutBody["incomplete_details"], .object([JSONMember("reason", .string("max_output_tokens"))]))
        XCTAssertEqual(cutBody["max_output_tokens"], .integer(5))
        XCTAssertEqual(cutBody["instructions"], .null)
    }

    func testTheCheckerCatchesWhatTheIssueReported() throws {
        // The chat body as it was written before: no `refusal` in the message.
        let old = try JSONParser.parse(#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#)
        XCTAssertEqual(OpenAISchema.createChatCompletionResponse.problems(in: old), ["choices[0].message.refusal: missing"])
        let badType = try JSONParser.parse(#"{"id":"c","object":"text_completion","created":"now","model":"m","choices":[{"index":0,"text":"x","logprobs":null,"finish_reason":"eos"}]}"#)
        XCTAssertEqual(OpenAISchema.createCompletionResponse.problems(in: badType), [
            #"choices[0].finish_reason: "eos" is not one of ["stop", "length", "content_filter"]"#,
            #"created: expected an integer, got "now""#,
        ])
    }
}
