import Foundation
import Engine
import Model
import Synchronization
import TestSupport
import XCTest
@testable import Daemon
@testable import JobStore
import RequestFormats

/// A database and a tiny real model (random weights, small SentencePiece vocabulary) in a
/// temporary directory, with shortcuts to submit jobs, build daemons and read back what they
/// wrote.
final class DaemonFixture {
    let directory: TemporaryDirectory
    let modelPath: String
    let store: JobStore
    let model: LoadedModel
    let logs = LogCapture()

    init(family: TinyModel.Family = .gemma3, shape: TinyModel.Shape = TinyModel.Shape(),
         retryPolicy: RetryPolicy = RetryPolicy(baseDelay: 0, maximumDelay: 0)) throws {
        directory = TemporaryDirectory(prefix: "jobs-daemon-tests")
        modelPath = try TinyModel.write(family, to: directory.file("tiny-\(family.rawValue).gguf"), shape: shape)
        store = try JobStore(path: directory.file("jobs.db"), retryPolicy: retryPolicy)
        model = try LoadedModel(path: modelPath)
    }

    var databasePath: String { store.path }

    /// Engine options sized for the tiny model (its context is 512 tokens).
    static func engineOptions(maxSequences: Int = 16, prefixCaching: Bool = true) -> EngineOptions {
        EngineOptions(maxSequences: maxSequences, maxBatchTokens: 256, kvMemoryBytes: 16 << 20, prefixCaching: prefixCaching)
    }

    /// A draining daemon that polls often and starts steps at once.
    static func configuration(leaseSeconds: TimeInterval = 60, maxWait: TimeInterval = 0, drain: Bool = true,
                              reuseResults: Bool = false, shutdownGrace: TimeInterval = 30) -> DaemonConfiguration {
        DaemonConfiguration(leaseSeconds: leaseSeconds, maxWait: maxWait, pollInterval: 0.01, drain: drain,
                            reuseResults: reuseResults, shutdownGrace: shutdownGrace, sampleInterval: 0.05)
    }

    /// A daemon on the fixture's database; `store` gives it a connection of its own.
    func daemon(_ configuration: DaemonConfiguration = DaemonFixture.configuration(),
                engine: EngineOptions = DaemonFixture.engineOptions(), metrics: DaemonMetrics = DaemonMetrics(),
                store: JobStore? = nil) throws -> Daemon {
        try Daemon(store: store ?? self.store, model: model, engineOptions: engine, configuration: configuration,
                   logger: Logger(level: .debug, sink: logs.sink), metrics: metrics)
    }

    /// Submits one batch; each job is (custom id, request).
    @discardableResult
    func submit(_ jobs: [(String, JobRequest)], name: String? = nil, maxAttempts: Int = 3) throws -> BatchInfo {
        let parsed = jobs.enumerated().map { ParsedJob(line: $0.offset + 1, customID: $0.element.0, request: $0.element.1) }
        let submission = BatchSubmission(name: name, source: "test.jsonl", sha256: UUID().uuidString,
                                         maxAttempts: maxAttempts, jobs: parsed)
        switch try store.submit(submission) {
        case .inserted(let batch), .alreadySubmitted(let batch): return batch
        }
    }

    /// `count` greedy completion jobs `prefix0`, `prefix1`, ... with different prompts.
    @discardableResult
    func submitCompletions(_ count: Int, prefix: String = "p", maxTokens: Int = 8, name: String? = nil,
                           maxAttempts: Int = 3) throws -> BatchInfo {
        try submit((0..<count).map { ("\(prefix)\($0)", DaemonFixture.completion(DaemonFixture.prompt($0), maxTokens: maxTokens)) },
                   name: name, maxAttempts: maxAttempts)
    }

    static func completion(_ prompt: String, maxTokens: Int = 8, temperature: Double = 0, seed: Int64? = nil) -> JobRequest {
        JobRequest(input: .prompt(prompt), maxTokens: maxTokens, temperature: temperature, seed: seed)
    }

    static func chat(_ text: String, maxTokens: Int = 8) -> JobRequest {
        JobRequest(input: .messages([RequestMessage(role: .system, content: "be brief"),
                                     RequestMessage(role: .user, content: text)]),
                   maxTokens: maxTokens, temperature: 0)
    }

    /// A distinct short prompt in the tiny vocabulary's letters.
    static func prompt(_ index: Int) -> String {
        let words = ["the", "and", "cat", "sat", "on", "a", "mat", "dog", "ran", "far"]
        let letters = String(index, radix: 26).map { String(UnicodeScalar(UInt8(Int($0.hexDigitValue ?? 0) + 97))) }.joined()
        return (0..<6).map { words[(index + $0 * 3) % words.count] }.joined(separator: " ") + " " + letters
    }

    /// Holds the database's write lock (an open `BEGIN IMMEDIATE` on the fixture's own
    /// connection) until `unlock()`. Use only the daemon's store meanwhile.
    func lockDatabase() throws {
        try store.withConnection { try $0.execute("BEGIN IMMEDIATE") }
    }

    func unlockDatabase() throws {
        try store.withConnection { try $0.execute("COMMIT") }
    }

    /// A daemon whose decoder throws in its first `failures` forward passes.
    func daemon(failingForwardPasses failures: Int, _ configuration: DaemonConfiguration = DaemonFixture.configuration()) throws -> Daemon {
        try Daemon(store: store, languageModel: FailingModel(model.model, failures: failures), modelName: model.name,
                   requests: GenerationRequestBuilder(model: model), engineOptions: DaemonFixture.engineOptions(),
                   configuration: configuration, logger: Logger(level: .debug, sink: logs.sink), metrics: DaemonMetrics(),
                   shutdown: ShutdownRequest())
    }

    // MARK: Reading back

    func jobs() throws -> [JobRecord] { try store.list(limit: 100_000).jobs }

    func job(_ id: Int64) throws -> JobRecord { try store.job(.id(id)) }

    /// The stored result of a succeeded job, with the store's queue wait and total time.
    func result(_ jobID: Int64, file: StaticString = #filePath, line: UInt = #line) throws
        -> (result: JobResult, queueWait: TimeInterval, total: TimeInterval) {
        let record = try XCTUnwrap(store.result(jobID: jobID), "job \(jobID) has no result", file: file, line: line)
        guard case let .succeeded(result, queueWait, total) = record.outcome else {
            XCTFail("job \(jobID) did not succeed: \(record.outcome)", file: file, line: line)
            throw XCTSkip("no result")
        }
        return (result, queueWait, total)
    }

    /// The first column of every row of `sql`, as integers.
    func integers(_ sql: String) throws -> [Int] {
        try store.withConnection { db in try db.prepare(sql).rows { $0.int(0) } }
    }

    func scalar(_ sql: String) throws -> Int { try integers(sql).first ?? -1 }

    func texts(_ sql: String) throws -> [String?] {
        try store.withConnection { db in try db.prepare(sql).rows { $0.optionalString(0) } }
    }
}

/// Log lines a daemon wrote, in order, parsed on demand.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var sink: @Sendable (String) -> Void { { [self] line in lines.withLock { $0.append(line) } } }

    var all: [String] { lines.withLock { $0 } }

    /// The parsed lines whose `event` is `event`.
    func events(_ event: String) -> [[String: String]] {
        all.compactMap { try? Logfmt.parse($0) }.filter { $0["event"] == event }
    }
}

/// Runs `body` until it returns true or `timeout` passes.
func eventually(timeout: TimeInterval = 10, pollInterval: TimeInterval = 0.01, _ message: String,
                file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Bool) rethrows {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try body() { return }
        Thread.sleep(forTimeInterval: pollInterval)
    }
    XCTFail("timed out after \(timeout) s: \(message)", file: file, line: line)
}
