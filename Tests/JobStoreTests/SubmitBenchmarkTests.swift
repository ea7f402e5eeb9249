import Foundation
import TestSupport
import XCTest
@testable import JobStore
import RequestFormats

/// Submitting 100,000 lines must take a few seconds at most. Skipped unless `JOBS_BENCH=1`:
///
///     JOBS_BENCH=1 swift test --filter SubmitBenchmarkTests
///
/// (a debug build). `JOBS_BENCH_WRITE=/tmp/big.jsonl` also writes the synthetic file, to time
/// `jobs submit` itself in a release build: `swift build -c release --product jobs` and
/// `time .build/release/jobs --db /tmp/bench.db submit /tmp/big.jsonl`.
final class SubmitBenchmarkTests: XCTestCase {
    func testSubmitsOneHundredThousandLines() throws {
        guard ProcessInfo.processInfo.environment["JOBS_BENCH"] == "1" else {
            throw XCTSkip("set JOBS_BENCH=1 to run the submit benchmark")
        }
        let lineCount = Int(ProcessInfo.processInfo.environment["JOBS_BENCH_LINES"] ?? "") ?? 100_000
        let text = Self.syntheticBatch(lines: lineCount)
        let fixture = try StoreFixture()
        if let path = ProcessInfo.processInfo.environment["JOBS_BENCH_WRITE"] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        var bytes = Array(text.utf8)

        let clock = ContinuousClock()
        let start = clock.now
        let digest = bytes.withUnsafeBufferPointer { SHA256.hex($0) }
        let hashed = clock.now
        let parsed = bytes.withUnsafeMutableBufferPointer { BatchFileParser.parse(UnsafeBufferPointer($0)) }
        let validated = clock.now
        let outcome = try fixture.store.submit(BatchSubmission(
            name: "bench", source: "bench.jsonl", sha256: digest, jobs: parsed.jobs))
        let inserted = clock.now

        XCTAssertEqual(parsed.problems, [])
        guard case .inserted(let batch) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(batch.jobCount, lineCount)
        XCTAssertEqual(try fixture.store.counts().queued, lineCount)
        func ms(_ d: Duration) -> String { String(format: "%.0f ms", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000) }
        print("""
            submit benchmark: \(lineCount) lines, \(bytes.count / 1_000_000) MB: \
            file sha256 \(ms(hashed - start)), validate \(ms(validated - hashed)), \
            insert \(ms(inserted - validated)), total \(ms(inserted - start))
            """)
        bytes.removeAll()
    }

    /// A realistic mix: short-form lines and OpenAI Batch lines, completions and chats,
    /// prompts of 100 to 400 characters.
    static func syntheticBatch(lines: Int) -> String {
        let words = ["lighthouse", "market", "refrigerator", "compressor", "storm", "bottle",
                     "vendor", "colour", "morning", "summary", "product", "warm", "describe"]
        var text = ""
        text.reserveCapacity(lines * 300)
        for i in 0..<lines {
            let length = 15 + (i * 7919) % 45
            let prompt = (0..<length).map { words[($0 * 31 + i) % words.count] }.joined(separator: " ")
            switch i % 3 {
            case 0:
                text += #"{"id": "item-\#(i)", "prompt": "\#(prompt)", "max_tokens": 128, "temperature": 0.7}"#
            case 1:
                text += #"{"custom_id": "item-\#(i)", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gemma-3-270m", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "\#(prompt)"}], "max_tokens": 64, "seed": \#(i)}}"#
            default:
                text += #"{"custom_id": "item-\#(i)", "method": "POST", "url": "/v1/completions", "body": {"model": "gemma-3-270m", "prompt": "\#(prompt)", "max_tokens": 32, "stop": ["\n\n"], "top_p": 0.9}}"#
            }
            text += "\n"
        }
        return text
    }
}
