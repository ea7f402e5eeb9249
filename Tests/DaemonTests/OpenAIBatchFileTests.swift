import Foundation
import TestSupport
import XCTest
@testable import Daemon
import JSON
@testable import JobStore
import RequestFormats

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

    /// logprobs go from the request through the engine to the stored result and out in
    /// OpenAI's shapes; greedy, the top alternative is the chosen token.
    func testLogprobsAreStoredAndWrittenInOpenAIsShapes() throws {
        let text = #"""
            {"custom_id": "chat", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "name a fruit"}], "max_completion_tokens": 6, "temperature": 0, "logprobs": true, "top_logprobs": 3}}
            {"custom_id": "text", "method": "POST", "url": "/v1/completions", "body": {"prompt": "the cat", "max_tokens": 6, "temperature": 0, "logprobs": 2}}
            {"custom_id": "none", "method": "POST", "url": "/v1/completions", "body": {"prompt": "the cat", "max_tokens": 6, "temperature": 0}}
            {"custom_id": "resp", "method": "POST", "url": "/v1/responses", "body": {"input": "name a fruit", "max_output_tokens": 6, "temperature": 0, "top_logprobs": 2, "include": ["message.output_text.logprobs"]}}
            """#
        var bytes = Array(text.utf8)
        let parsed = bytes.withUnsafeMutableBufferPointer { BatchFileParser.parse(UnsafeBufferPointer($0)) }
        XCTAssertEqual(parsed.problems.map { $0.formatted(file: "f") }, [])
        let fixture = try DaemonFixture()
        _ = try fixture.store.submit(BatchSubmission(name: "lp", source: "f", sha256: SHA256.hex(text), maxAttempts: 1, jobs: parsed.jobs))
        XCTAssertEqual(try fixture.daemon().run().succeeded, 4)
        var output: [UInt8] = []
        try fixture.store.resultsStream { BatchOutputFormat.appendLine(for: $0, to: &output) }
        var byID: [String: JSONValue] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let value = try JSONParser.parse(String(line))
            if case .string(let id)? = value["custom_id"] { byID[id] = value["response"]?["body"] }
        }
        let chat = try XCTUnwrap(byID["chat"])
        XCTAssertEqual(OpenAISchema.createChatCompletionResponse.problems(in: chat), [])
        guard case .array(let content)? = first(chat["choices"])?["logprobs"]?["content"] else {
            return XCTFail("no logprobs.content: \(chat.serialized())")
        }
        XCTAssertFalse(content.isEmpty)
        XCTAssertLessThanOrEqual(content.count, 6)
        var joined: [UInt8] = []
        for entry in content {
            guard case .array(let top)? = entry["top_logprobs"] else { return XCTFail("no top_logprobs") }
            XCTAssertEqual(top.count, 3)
            XCTAssertEqual(top.first?["token"], entry["token"], "greedy: the chosen token is the most likely")
            XCTAssertEqual(top.first?["logprob"], entry["logprob"])
            if case .array(let values)? = entry["bytes"] { joined += values.compactMap { $0.integralValue.map { UInt8($0) } } }
        }
        guard case .string(let answer)? = first(chat["choices"])?["message"]?["content"] else { return XCTFail("no content") }
        XCTAssertTrue(String(decoding: joined, as: UTF8.self).hasPrefix(answer), "the tokens' bytes spell the answer")

        let completion = try XCTUnwrap(byID["text"])
        XCTAssertEqual(OpenAISchema.createCompletionResponse.problems(in: completion), [])
        let legacy = try XCTUnwrap(first(completion["choices"])?["logprobs"])
        guard case .array(let tokens)? = legacy["tokens"], case .array(let values)? = legacy["token_logprobs"],
              case .array(let tops)? = legacy["top_logprobs"], case .array(let offsets)? = legacy["text_offset"] else {
            return XCTFail("legacy logprobs shape: \(legacy.serialized())")
        }
        XCTAssertEqual([values.count, tops.count, offsets.count], [tokens.count, tokens.count, tokens.count])
        XCTAssertEqual(offsets.first, .integer(0))
        for (index, top) in tops.enumerated() {
            guard case .object(let members) = top else { return XCTFail("top_logprobs[\(index)]") }
            XCTAssertLessThanOrEqual(members.count, 2)
            XCTAssertEqual(members.first?.value, values[index], "greedy: the best alternative is the chosen token")
        }
        XCTAssertEqual(first(byID["none"]?["choices"])?["logprobs"], .null)
        let response = try XCTUnwrap(byID["resp"])
        XCTAssertEqual(OpenAISchema.response.problems(in: response), [])
        guard case .array(let responseLogprobs)? = first(first(response["output"])?["content"])?["logprobs"] else {
            return XCTFail("no output_text logprobs: \(response.serialized())")
        }
        XCTAssertFalse(responseLogprobs.isEmpty)
        XCTAssertEqual(responseLogprobs.first?["top_logprobs"].map { if case .array(let top) = $0 { top.count } else { -1 } }, 2)
        XCTAssertEqual(first(byID["none"]?["choices"])?["text"], first(completion["choices"])?["text"], "logprobs change no token")
    }

    /// `n` > 1: several choices from one prompt, each with its own seed derived from the job's
    /// (choice 0 is what the job gives with n = 1), the later ones reusing the cached prompt.
    func testNChoicesComeFromOnePromptWithTheirOwnSeeds() throws {
        let body = #"{"messages": [{"role": "user", "content": "write about the sea and the sky and the sun"}], "#
            + #""max_completion_tokens": 8, "temperature": 1, "seed": 42"#
        let threeLine = #"{"custom_id": "three", "method": "POST", "url": "/v1/chat/completions", "body": "#
            + body + #", "n": 3, "logprobs": true}}"#
        let oneLine = #"{"custom_id": "one", "method": "POST", "url": "/v1/chat/completions", "body": "# + body + "}}"
        // Each in a daemon of its own, so the prefix cache hits counted are the choices' own.
        func run(_ text: String) throws -> ([String: JSONValue], DaemonMetrics) {
            var bytes = Array(text.utf8)
            let parsed = bytes.withUnsafeMutableBufferPointer { BatchFileParser.parse(UnsafeBufferPointer($0)) }
            XCTAssertEqual(parsed.problems.map { $0.formatted(file: "f") }, [])
            let fixture = try DaemonFixture()
            _ = try fixture.store.submit(BatchSubmission(name: "n", source: "f", sha256: SHA256.hex(text), maxAttempts: 1,
                                                         jobs: parsed.jobs))
            let metrics = DaemonMetrics()
            XCTAssertEqual(try fixture.daemon(metrics: metrics).run().succeeded, 1)
            var output: [UInt8] = []
            try fixture.store.resultsStream { BatchOutputFormat.appendLine(for: $0, to: &output) }
            var byID: [String: JSONValue] = [:]
            for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
                let value = try JSONParser.parse(String(line))
                if case .string(let id)? = value["custom_id"] { byID[id] = value["response"]?["body"] }
            }
            return (byID, metrics)
        }
        let (first, metrics) = try run(threeLine)
        let (single, _) = try run(oneLine)
        let three = try XCTUnwrap(first["three"])
        XCTAssertEqual(OpenAISchema.createChatCompletionResponse.problems(in: three), [])
        guard case .array(let choices)? = three["choices"] else { return XCTFail("no choices") }
        XCTAssertEqual(choices.map { $0["index"] }, [.integer(0), .integer(1), .integer(2)])
        let texts = choices.map { $0["message"]?["content"] }
        XCTAssertEqual(Set(texts.map { $0?.serialized() ?? "" }).count, 3, "each choice has its own seed: \(texts)")
        XCTAssertEqual(texts[0], self.first(single["one"]?["choices"])?["message"]?["content"], "choice 0 is the n = 1 answer")
        XCTAssertTrue(choices.allSatisfy { $0["logprobs"] != .null })
        var generated: Int64 = 0
        for choice in choices {
            if case .array(let entries)? = choice["logprobs"]?["content"] { generated += Int64(entries.count) }
        }
        XCTAssertEqual(three["usage"]?["completion_tokens"]?.integralValue.map { $0 >= generated }, true,
                       "usage counts every choice's tokens")
        XCTAssertGreaterThan(metrics.prefixCacheHitTokens.value, 0, "the later choices reuse the cached prompt")
        let (again, _) = try run(threeLine)
        XCTAssertEqual(again["three"]?["choices"], three["choices"], "seeded choices are reproducible")
    }

    private func first(_ value: JSONValue?) -> JSONValue? {
        if case .array(let elements)? = value { return elements.first }
        return nil
    }
}
