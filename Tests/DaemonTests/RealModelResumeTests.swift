import Foundation
import TestSupport
import XCTest
@testable import JobStore
import RequestFormats

/// Token-level resume on the real default model (issue 12's test): 32 jobs of up to 256
/// tokens, greedy and seeded, through `jobsd` processes killed with `kill -9` at random
/// moments and restarted. Each text equals an uninterrupted run's, byte for byte, and each
/// daemon resumed every job from exactly the checkpoint the killed one left.
///
/// Needs the default model (`JOBS_MODEL`, or installed by `Scripts/install-model`); skipped
/// without it unless `JOBS_REQUIRE_MODEL=1`. About two minutes on 2 cores (debug build).
final class RealModelResumeTests: XCTestCase {
    private static let topics = [
        "a lighthouse keeper", "the history of tea", "how bicycles balance", "a rainy market day", "the first snowfall",
        "a lost umbrella", "why bread rises", "a chess tournament", "the northern lights", "a small bakery",
        "learning the violin", "a city at dawn", "the life of bees", "an old library", "a mountain train", "recycling glass",
    ]

    private static func jobs() -> [ParsedJob] {
        (0..<32).map { i in
            var request = JobRequest(input: .prompt("Write a long story about \(topics[i % 16])\(i < 16 ? "" : ", told by a child"):"),
                                     maxTokens: 256, temperature: 0)
            if i % 2 == 1 {
                request.temperature = 0.8
                request.topP = 0.95
                request.seed = Int64(1_000 + i)
            }
            if i % 8 == 2 { request.frequencyPenalty = 0.5 }
            return ParsedJob(line: i + 1, customID: "s\(i)", request: request)
        }
    }

    private func submit(to path: String) throws -> JobStore {
        let store = try JobStore(path: path)
        _ = try store.submit(BatchSubmission(name: "resume", source: "resume.jsonl", sha256: "resume", maxAttempts: 20,
                                             jobs: Self.jobs()))
        return store
    }

    private func texts(_ store: JobStore) throws -> [String: String] {
        var texts: [String: String] = [:]
        try store.resultsStream { record in
            guard case .succeeded(let result, _, _) = record.outcome else { return XCTFail("\(record.customID) did not succeed") }
            texts[record.customID] = result.text
        }
        return texts
    }

    /// Checkpointed tokens by job id, as a killed daemon left them.
    private func checkpoints(_ store: JobStore) throws -> [String: Int] {
        try store.withConnection { db in
            try db.prepare("SELECT job_id, tokens FROM checkpoints").rows { (String($0.int64(0)), $0.int(1)) }
        }.reduce(into: [:]) { $0[$1.0] = $1.1 }
    }

    func testJobsKilledAtRandomMomentsContinueFromTheirCheckpointsWithTheUninterruptedText() throws {
        let model = try RealModel.path()
        let directory = TemporaryDirectory(prefix: "jobs-real-resume")
        let common = ["--model", model, "--max-seqs", "32", "--kv-memory", "512MiB", "--poll-ms", "50", "--max-wait-ms", "0"]

        let reference = try submit(to: directory.file("reference.db"))
        let uninterrupted = try DaemonProcess(["--db", reference.path, "--drain", "--no-checkpoints"] + common,
                                              logDirectory: directory.path, name: "reference")
        XCTAssertEqual(try uninterrupted.wait(timeout: 600), 0, uninterrupted.stderr.suffix(2000).description)
        let expected = try texts(reference)
        XCTAssertEqual(expected.count, 32)

        let store = try submit(to: directory.file("jobs.db"))
        let arguments = ["--db", store.path, "--checkpoint-tokens", "16", "--lease-seconds", "1.5"] + common
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        var random = SplitMix64(seed: seed)
        var left: [String: Int] = [:]   // the checkpoints the last kill left
        var resumedFromCheckpoint = 0
        for cycle in 0..<3 {
            let daemon = try DaemonProcess(arguments, logDirectory: directory.path, name: "killed\(cycle)")
            // Killed at a random moment after it saved progress of its own.
            let before = left.values.reduce(0, +)
            try eventually(timeout: 120, "cycle \(cycle): a checkpoint of this daemon") {
                try checkpoints(store).values.reduce(0, +) > before
            }
            let delay = Double(random.next() % 5000) / 1000
            Thread.sleep(forTimeInterval: delay)
            daemon.signal(SIGKILL)
            XCTAssertEqual(try daemon.wait(timeout: 15), SIGKILL)
            // It resumed each job from exactly the checkpoint the previous kill left.
            for line in daemon.events("resume") {
                let job = try XCTUnwrap(line["job"])
                XCTAssertEqual(Int(line["from_token"] ?? ""), left[job], "cycle \(cycle), job \(job); seed \(seed)")
                resumedFromCheckpoint += 1
            }
            XCTAssertTrue(daemon.events("checkpoint_ignored").isEmpty, daemon.stderr.suffix(2000).description)
            left = try checkpoints(store)
            print("real-model resume, cycle \(cycle): killed \(String(format: "%.2f", delay)) s after a checkpoint; "
                  + "\(left.count) checkpoints, \(left.values.reduce(0, +)) tokens saved")
        }
        let final = try DaemonProcess(arguments + ["--drain"], logDirectory: directory.path, name: "final")
        XCTAssertEqual(try final.wait(timeout: 600), 0, final.stderr.suffix(2000).description)
        for line in final.events("resume") {
            XCTAssertEqual(Int(line["from_token"] ?? ""), left[line["job"] ?? ""], "final daemon; seed \(seed)")
            resumedFromCheckpoint += 1
        }
        XCTAssertGreaterThan(resumedFromCheckpoint, 0, "the kills fell mid-generation; seed \(seed)")

        let got = try texts(store)
        for (customID, text) in expected {
            XCTAssertEqual(got[customID], text, "\(customID): the text of an uninterrupted run; seed \(seed)")
        }
        // The final results record the checkpoints their daemon continued from.
        for (job, tokens) in left where final.events("resume").contains(where: { $0["job"] == job }) {
            let row = try store.withConnection { db in
                try db.prepare("SELECT resumed_from_token, resumes FROM results WHERE job_id = ?").bind(.integer(Int64(job) ?? -1))
                    .firstRow { ($0.int(0), $0.int(1)) }
            }
            XCTAssertEqual(row?.0, tokens, "job \(job)")
            XCTAssertGreaterThanOrEqual(row?.1 ?? 0, 1, "job \(job)")
        }
        XCTAssertEqual(try checkpoints(store).count, 0)
        print("real-model resume: \(resumedFromCheckpoint) continuations from a checkpoint; seed \(seed)")
    }
}
