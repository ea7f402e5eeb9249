import Foundation
import TestSupport
import XCTest
import JSON
import JobStore
@testable import RequestFormats

final class BatchOutputFormatTests: XCTestCase {
    private func lines(_ fixture: StoreFixture) throws -> [String] {
        var output: [UInt8] = []
        try fixture.store.resultsStream { BatchOutputFormat.appendLine(for: $0, to: &output) }
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func testCompletionResultLineIsOpenAIBatchOutput() throws {
        let fixture = try StoreFixture()
        try fixture.submit([#"{"id": "greet", "prompt": "Hello"}"#])
        let job = try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: StoreFixture.at(2))[0]
        try fixture.store.complete(jobID: job.id, owner: "d", result: StoreFixture.result("Hi \"you\"\n"),
                                   now: StoreFixture.at(5))
        XCTAssertEqual(try lines(fixture), [
            #"{"id":"batch_req_1","custom_id":"greet","response":{"status_code":200,"request_id":"req_1","body":{"id":"cmpl-1","object":"text_completion","created":1735689605,"model":"test-model","choices":[{"index":0,"text":"Hi \"you\"\n","logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}},"error":null,"jobs_timings":{"queue_wait_seconds":2,"time_to_first_token_seconds":0.25,"prefill_seconds":0.2,"decode_seconds":1,"total_seconds":5,"tokens_per_second":4,"mean_batch_size":2.5,"prefix_tokens_reused":0,"attempts":1}}"#,
        ])
    }

    func testChatResultAndFailedJobLines() throws {
        let fixture = try StoreFixture()
        try fixture.submit([
            #"{"custom_id": "c", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "Hi"}]}}"#,
            #"{"custom_id": "f", "method": "POST", "url": "/v1/completions", "body": {"prompt": "x"}}"#,
        ])
        let jobs = try fixture.store.claim(limit: 2, owner: "d", lease: 30, now: StoreFixture.epoch)
        try fixture.store.complete(jobID: jobs[0].id, owner: "d", result: StoreFixture.result("Hello!"),
                                   now: StoreFixture.at(1))
        try fixture.store.fail(jobID: jobs[1].id, owner: "d", message: "prompt has 9000 tokens; model context is 8192",
                               retryable: false, now: StoreFixture.at(1))
        let output = try lines(fixture).map { try JSONParser.parse($0) }
        XCTAssertEqual(output[0]["response"]?["body"]?["object"], .string("chat.completion"))
        XCTAssertEqual(output[0]["response"]?["body"]?["id"], .string("chatcmpl-1"))
        XCTAssertEqual(output[0]["response"]?["body"]?["choices"],
                       .array([.object([
                           JSONMember("index", .integer(0)),
                           JSONMember("message", .object([JSONMember("role", .string("assistant")),
                                                          JSONMember("content", .string("Hello!")),
                                                          JSONMember("refusal", .null)])),
                           JSONMember("logprobs", .null),
                           JSONMember("finish_reason", .string("stop")),
                       ])]))
        XCTAssertEqual(try lines(fixture)[1],
                       #"{"id":"batch_req_2","custom_id":"f","response":null,"error":{"code":"job_failed","message":"prompt has 9000 tokens; model context is 8192"},"jobs_timings":{"attempts":1}}"#)
    }
}
