import Foundation
import JobStore
import RequestFormats

/// A store in its own temporary directory, with shortcuts to submit short-form lines.
public final class StoreFixture {
    public let directory = TemporaryDirectory(prefix: "jobs-store-test")
    public let store: JobStore
    public var path: String { store.path }

    public init(retryPolicy: RetryPolicy = .default, now: Date = StoreFixture.epoch,
         busyTimeout: TimeInterval = JobStore.defaultBusyTimeout) throws {
        store = try JobStore(path: directory.file("jobs.db"), busyTimeout: busyTimeout, retryPolicy: retryPolicy, now: now)
    }

    /// A fixed instant tests measure from (2025-01-01T00:00:00Z).
    public static let epoch = Date(timeIntervalSince1970: 1_735_689_600)

    public static func at(_ seconds: TimeInterval) -> Date { epoch.addingTimeInterval(seconds) }

    /// Submits `lines` (JSONL text, one job per line) as a batch; the same lines again under the
    /// same name (or none) return the earlier batch.
    @discardableResult
    public func submit(_ lines: [String], name: String? = nil, priority: Int = 0, maxAttempts: Int = 3,
                source: String = "test.jsonl", now: Date = StoreFixture.epoch) throws -> BatchInfo {
        let text = lines.joined(separator: "\n") + "\n"
        let parsed = StoreFixture.parse(text)
        precondition(parsed.problems.isEmpty, "fixture lines are invalid: \(parsed.problems)")
        let submission = BatchSubmission(name: name, source: source, sha256: SHA256.hex(text),
                                         priority: priority, maxAttempts: maxAttempts,
                                         jobs: parsed.jobs)
        switch try store.submit(submission, now: now) {
        case .inserted(let batch): return batch
        case .alreadySubmitted(let batch): return batch
        }
    }

    /// Submits `count` short-form jobs with ids `prefix0`, `prefix1`, ...
    @discardableResult
    public func submitJobs(_ count: Int, prefix: String = "job", name: String? = nil, priority: Int = 0,
                    maxAttempts: Int = 3, now: Date = StoreFixture.epoch) throws -> BatchInfo {
        let lines = (0..<count).map { #"{"id": "\#(prefix)\#($0)", "prompt": "Say \#($0)"}"# }
        return try submit(lines, name: name, priority: priority, maxAttempts: maxAttempts, now: now)
    }

    public static func parse(_ text: String) -> ParsedBatchFile {
        var text = text
        return text.withUTF8 { BatchFileParser.parse($0) }
    }

    public static func result(_ text: String = "hello", completionTokens: Int = 5,
                       model: String = "test-model") -> JobResult {
        JobResult(text: text, finishReason: .stop, promptTokens: 3,
                  completionTokens: completionTokens, model: model,
                  timings: GenerationTimings(timeToFirstToken: 0.25, prefill: 0.2, decode: 1.0,
                                             tokensPerSecond: 4, meanActiveSequences: 2.5))
    }
}
