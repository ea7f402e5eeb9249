import CommandLineKit
import Foundation
import JobStore
import JobsCLI
import TestSupport
import XCTest

/// Runs `jobs` in-process against a database in a temporary directory, capturing its output.
final class CLIHarness {
    let directory = TemporaryDirectory(prefix: "jobs-cli-test")
    var environment: [String: String]
    var clock = CommandClock.system
    var standardInput: [UInt8] = []
    var terminal = false

    var databasePath: String { directory.file("jobs.db") }

    init() {
        environment = ["JOBS_DB": directory.file("jobs.db"), "HOME": directory.file("home")]
    }

    struct Outcome {
        var code: Int32
        var output: String
        var errors: String
    }

    @discardableResult
    func run(_ arguments: String...) -> Outcome { run(arguments) }

    @discardableResult
    func run(_ arguments: [String]) -> Outcome {
        let output = CapturedOutput(isTerminal: terminal)
        let errors = CapturedOutput()
        let input = standardInput
        let console = Console(output: output, errors: errors, readInput: { input })
        let code = JobsCommandLine.main(arguments, environment: environment, console: console, clock: clock)
        return Outcome(code: code, output: output.text, errors: errors.text)
    }

    /// Writes a JSONL file into the test directory and returns its path.
    func file(_ name: String, _ lines: [String]) -> String {
        directory.write(name, lines.joined(separator: "\n") + "\n")
    }

    /// The store behind the CLI, to play the daemon's part.
    func store() throws -> JobStore { try JobStore(path: databasePath) }

    /// Claims and completes every queued job as a daemon would, `tokens` tokens each.
    func completeAll(tokens: Int = 8, now: Date = Date()) throws {
        let store = try self.store()
        while true {
            let jobs = try store.claim(limit: 16, owner: "test-daemon", lease: 60, now: now)
            if jobs.isEmpty { return }
            for job in jobs {
                try store.complete(jobID: job.id, owner: "test-daemon",
                                   result: CLIHarness.result(for: job, tokens: tokens), now: now)
            }
        }
    }

    static func result(for job: ClaimedJob, tokens: Int = 8) -> JobResult {
        JobResult(text: "answer to \(job.customID)", finishReason: .length, promptTokens: 4,
                  completionTokens: tokens, model: "fake-model",
                  timings: GenerationTimings(timeToFirstToken: 0.1, prefill: 0.05, decode: 0.5,
                                             tokensPerSecond: 16, meanActiveSequences: 3))
    }

    static let shortLines = [
        #"{"id": "a", "prompt": "First"}"#,
        #"{"id": "b", "prompt": "Second", "max_tokens": 8}"#,
        #"{"id": "c", "messages": [{"role": "user", "content": "Third"}]}"#,
    ]
}
