import Engine
import Foundation
import TestSupport
import XCTest
@testable import Daemon
@testable import JobStore
import RequestFormats

/// Token-level resume in the daemon (issue 12), in-process on the tiny model: a daemon that
/// stops renewing its leases (a crash) or releases its jobs on SIGTERM leaves checkpoints, and
/// the next daemon continues each job from its checkpoint with the text an uninterrupted run
/// gives — greedy, seeded, penalties, stop strings, log-probabilities, several choices. A
/// checkpoint from another model, a damaged one and one that does not fit its request are
/// ignored with a log line, and the job starts from its prompt.
final class DaemonResumeTests: XCTestCase {
    /// Jobs of every kind the result depends on.
    private static let jobs: [(String, JobRequest)] = (0..<12).map { i in
        var request = DaemonFixture.completion(DaemonFixture.prompt(i), maxTokens: 40 + i * 3)
        switch i % 6 {
        case 0: break
        case 1: request.temperature = 0.9; request.seed = Int64(100 + i)
        case 2: request.temperature = 0.8; request.topK = 20; request.frequencyPenalty = 0.6; request.seed = Int64(i)
        case 3: request.temperature = 0; request.presencePenalty = 0.4; request.repetitionPenalty = 1.2; request.logprobs = 2
        case 4: request.temperature = 1.1; request.topP = 0.9; request.seed = 7; request.stop = ["zq", "xyz"]
        default: request.temperature = 0.7; request.seed = Int64(50 + i); request.choices = 3; request.logprobs = 0
        }
        return ("r\(i)", request)
    }

    private static func configuration(leaseSeconds: TimeInterval = 60, checkpointTokens: Int? = 8,
                                      shutdownGrace: TimeInterval = 30) -> DaemonConfiguration {
        var configuration = DaemonFixture.configuration(leaseSeconds: leaseSeconds, shutdownGrace: shutdownGrace)
        configuration.checkpointTokens = checkpointTokens
        return configuration
    }

    /// What a job's result is, without timings.
    private struct Answer: Equatable {
        var text: String
        var finishReason: ResultFinishReason
        var completionTokens: Int
        var logprobs: [ResultLogprob]?
        var moreChoices: [ChoiceResult]
    }

    private func answers(_ store: JobStore) throws -> [String: Answer] {
        var answers: [String: Answer] = [:]
        try store.resultsStream { record in
            guard case .succeeded(let result, _, _) = record.outcome else { return XCTFail("\(record.customID) failed") }
            answers[record.customID] = Answer(text: result.text, finishReason: result.finishReason,
                                              completionTokens: result.completionTokens, logprobs: result.logprobs,
                                              moreChoices: result.moreChoices)
        }
        return answers
    }

    /// The answers of an uninterrupted run of the same jobs, on a database of its own.
    private func reference(_ fixture: DaemonFixture) throws -> [String: Answer] {
        let store = try JobStore(path: fixture.directory.file("reference.db"))
        _ = try store.submit(BatchSubmission(name: "reference", source: "reference.jsonl", sha256: "reference", maxAttempts: 1,
                                             jobs: Self.jobs.enumerated().map { ParsedJob(line: $0 + 1, customID: $1.0, request: $1.1) }))
        var configuration = Self.configuration()
        configuration.checkpointTokens = nil
        XCTAssertEqual(try fixture.daemon(configuration, store: store).run().succeeded, Self.jobs.count)
        return try answers(store)
    }

    /// Checkpointed tokens by custom id.
    private func checkpoints(_ fixture: DaemonFixture) throws -> [String: (tokens: Int, resumes: Int)] {
        try fixture.store.withConnection { db in
            try db.prepare("SELECT j.custom_id, c.tokens, c.resumes FROM checkpoints c JOIN jobs j ON j.id = c.job_id")
                .rows { ($0.string(0), ($0.int(1), $0.int(2))) }
        }.reduce(into: [:]) { $0[$1.0] = $1.1 }
    }

    /// Ticks `daemon` until every job has a checkpoint or has finished; then it is abandoned
    /// as a crashed process would be.
    private func runUntilCheckpointed(_ daemon: Daemon, _ fixture: DaemonFixture) throws {
        var ticks = 0
        while true {
            _ = daemon.tick()
            ticks += 1
            let saved = try checkpoints(fixture).count
            let done = try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'succeeded'")
            if saved + done == Self.jobs.count, saved >= Self.jobs.count / 2 { return }
            guard ticks < 10_000 else { return XCTFail("jobs were not checkpointed: \(saved) saved, \(done) done") }
        }
    }

    private func result(_ fixture: DaemonFixture, _ customID: String) throws -> JobResult {
        let id = try fixture.scalar("SELECT id FROM jobs WHERE custom_id = '\(customID)'")
        return try fixture.result(Int64(id)).result
    }

    func testJobTakenBackAfterACrashContinuesFromItsCheckpointWithTheSameText() throws {
        let fixture = try DaemonFixture()
        try fixture.submit(Self.jobs, name: "resume")
        let expected = try reference(fixture)

        let crashed = try fixture.daemon(Self.configuration(leaseSeconds: 0.3))
        try runUntilCheckpointed(crashed, fixture)
        let saved = try checkpoints(fixture)
        XCTAssertTrue(saved.values.allSatisfy { $0.tokens > 0 && $0.resumes == 0 })
        Thread.sleep(forTimeInterval: 0.35) // the crashed daemon's leases expire

        let next = try fixture.daemon(Self.configuration())
        XCTAssertEqual(next.run().exit, .drained)
        XCTAssertEqual(try answers(fixture.store), expected, "every text as in an uninterrupted run")
        for (customID, checkpoint) in saved {
            let timings = try result(fixture, customID).timings
            XCTAssertEqual(timings.resumes, 1, customID)
            XCTAssertEqual(timings.resumedFromToken, checkpoint.tokens, "\(customID) continued from its checkpoint")
            XCTAssertEqual(timings.recomputedTokens, checkpoint.tokens, "\(customID): nothing cached in the new engine")
        }
        let resumes = fixture.logs.events("resume")
        XCTAssertEqual(Set(resumes.compactMap { $0["custom_id"] }), Set(saved.keys))
        for line in resumes { XCTAssertEqual(Int(line["from_token"] ?? ""), saved[line["custom_id"] ?? ""]?.tokens) }
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM checkpoints"), 0, "deleted with the results")
        XCTAssertTrue(fixture.logs.events("checkpoint_ignored").isEmpty)
    }

    func testJobResumedTwiceCountsBothResumes() throws {
        let fixture = try DaemonFixture()
        try fixture.submit(Self.jobs, name: "twice")
        let expected = try reference(fixture)
        for _ in 0..<2 {
            let crashed = try fixture.daemon(Self.configuration(leaseSeconds: 0.2))
            for _ in 0..<6 { _ = crashed.tick() }
            Thread.sleep(forTimeInterval: 0.25)
        }
        let saved = try checkpoints(fixture)
        XCTAssertFalse(saved.isEmpty)
        XCTAssertNotNil(saved.values.first { $0.resumes == 1 }, "the second daemon resumed and saved again: \(saved)")
        XCTAssertEqual(try fixture.daemon(Self.configuration()).run().exit, .drained)
        XCTAssertEqual(try answers(fixture.store), expected)
        for (customID, checkpoint) in saved {
            XCTAssertEqual(try result(fixture, customID).timings.resumes, checkpoint.resumes + 1, customID)
        }
    }

    func testSIGTERMReleaseSavesCheckpointsSoNoTokenIsGeneratedTwice() throws {
        let fixture = try DaemonFixture()
        try fixture.submit(Self.jobs, name: "term")
        let expected = try reference(fixture)

        // Checkpoints only at the release: a token and time interval that never come.
        var configuration = Self.configuration(checkpointTokens: 100_000, shutdownGrace: 0)
        configuration.checkpointInterval = 3600
        let stopping = try fixture.daemon(configuration)
        for _ in 0..<8 { _ = stopping.tick() }
        XCTAssertEqual(try checkpoints(fixture).count, 0)
        stopping.shutdown.request()
        while stopping.tick() != .stopped {}
        let release = try XCTUnwrap(fixture.logs.events("release").first)
        let saved = try checkpoints(fixture)
        XCTAssertEqual(Int(release["checkpoints"] ?? ""), saved.count)
        XCTAssertEqual(Int(release["jobs"] ?? ""), saved.count, "every released job saved its place")
        let generatedBefore = stopping.metrics.generatedTokens.value

        let next = try fixture.daemon(Self.configuration())
        XCTAssertEqual(next.run().exit, .drained)
        XCTAssertEqual(try answers(fixture.store), expected)
        var completion = 0
        for (customID, checkpoint) in saved {
            XCTAssertEqual(try result(fixture, customID).timings.resumedFromToken, checkpoint.tokens, customID)
        }
        for (_, answer) in expected { completion += answer.completionTokens }
        XCTAssertEqual(Int(generatedBefore) + Int(next.metrics.generatedTokens.value), completion,
                       "tokens generated before and after the release add up to the results': none twice")
    }

    func testCheckpointFromAnotherModelDamagedOrNotFittingIsIgnored() throws {
        let fixture = try DaemonFixture()
        try fixture.submit(Self.jobs, name: "ignored")
        let expected = try reference(fixture)
        let crashed = try fixture.daemon(Self.configuration(leaseSeconds: 0.3))
        try runUntilCheckpointed(crashed, fixture)
        let saved = try checkpoints(fixture).keys.sorted()
        XCTAssertGreaterThanOrEqual(saved.count, 4)
        let otherModel = saved[0], damaged = saved[1], truncated = saved[2], otherSeed = saved[3]
        try fixture.store.withConnection { db in
            try db.execute("UPDATE checkpoints SET model = 'another model; 1 bytes; fnv1a64 0' WHERE job_id = (SELECT id FROM jobs WHERE custom_id = '\(otherModel)')")
            try db.execute("UPDATE checkpoints SET state = X'4A434B310100' WHERE job_id = (SELECT id FROM jobs WHERE custom_id = '\(damaged)')")
            try db.execute("UPDATE checkpoints SET state = substr(state, 1, length(state) - 3) WHERE job_id = (SELECT id FROM jobs WHERE custom_id = '\(truncated)')")
        }
        // A well-formed checkpoint whose seed is not the job's: the engine refuses it.
        let id = try fixture.scalar("SELECT id FROM jobs WHERE custom_id = '\(otherSeed)'")
        var state = try XCTUnwrap(try fixture.store.checkpoint(jobID: Int64(id))).state
        var choices = try CheckpointEncoding.decode(state)
        choices[0]!.seed &+= 1
        choices[0]!.randomState = Xoshiro256StarStar(seed: 1).state
        state = CheckpointEncoding.encode(choices.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        try fixture.store.withConnection { db in
            try db.prepare("UPDATE checkpoints SET state = ? WHERE job_id = ?").bind(.blob(state), .int(id)).run()
        }
        Thread.sleep(forTimeInterval: 0.35)

        XCTAssertEqual(try fixture.daemon(Self.configuration()).run().exit, .drained)
        XCTAssertEqual(try answers(fixture.store), expected, "the ignored ones started from the prompt")
        let ignored = fixture.logs.events("checkpoint_ignored")
        XCTAssertEqual(Set(ignored.compactMap { $0["custom_id"] }), [otherModel, damaged, truncated, otherSeed])
        let reasons = Dictionary(ignored.map { ($0["custom_id"] ?? "", $0["reason"] ?? "") }, uniquingKeysWith: { a, _ in a })
        XCTAssertTrue(reasons[otherModel]?.hasPrefix("written with model 'another model; 1 bytes; fnv1a64 0'; this daemon runs 'tiny gemma3; ") ?? false,
                      reasons[otherModel] ?? "")
        XCTAssertTrue(reasons[damaged]?.hasPrefix("damaged checkpoint: ") ?? false, reasons[damaged] ?? "")
        XCTAssertTrue(reasons[truncated]?.hasPrefix("damaged checkpoint: ") ?? false, reasons[truncated] ?? "")
        XCTAssertTrue(reasons[otherSeed]?.contains("seed") ?? false, reasons[otherSeed] ?? "")
        for customID in [otherModel, damaged, truncated, otherSeed] {
            let timings = try result(fixture, customID).timings
            XCTAssertEqual(timings.resumes, 0, customID)
            XCTAssertEqual(timings.resumedFromToken, 0, customID)
        }
        for customID in saved.dropFirst(4) {
            XCTAssertEqual(try result(fixture, customID).timings.resumes, 1, customID)
        }
    }

    func testNoCheckpointsWritesNoneAndResumesFromNone() throws {
        let fixture = try DaemonFixture()
        try fixture.submit(Self.jobs, name: "off")
        let crashed = try fixture.daemon(Self.configuration(leaseSeconds: 0.3))
        try runUntilCheckpointed(crashed, fixture)
        Thread.sleep(forTimeInterval: 0.35)
        let before = try fixture.texts("SELECT job_id || ':' || tokens || ':' || written_at FROM checkpoints ORDER BY job_id")
        let off = try fixture.daemon(Self.configuration(leaseSeconds: 0.3, checkpointTokens: nil))
        for _ in 0..<20 { _ = off.tick() }
        XCTAssertTrue(fixture.logs.events("resume").isEmpty)
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM checkpoints WHERE resumes > 0"), 0)
        let after = try fixture.texts("SELECT job_id || ':' || tokens || ':' || written_at FROM checkpoints ORDER BY job_id")
        XCTAssertEqual(Set(after).subtracting(before), [], "nothing written since (rows of finished jobs are gone)")
        XCTAssertGreaterThan(try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'running' AND attempts = 2"), 0,
                             "the second daemon took the jobs back")
    }

    func testCheckpointsFollowTheTokenInterval() throws {
        let fixture = try DaemonFixture()
        try fixture.submit(Self.jobs, name: "interval")
        var configuration = Self.configuration(checkpointTokens: 5)
        configuration.checkpointInterval = 3600
        let daemon = try fixture.daemon(configuration)
        var ticks = 0
        while daemon.tick() != .stopped, ticks < 10_000 {
            ticks += 1
            // Between ticks, no running job is more than one interval ahead of its checkpoint
            // (a step adds a token to each of its choices).
            for (index, job) in Self.jobs.enumerated() {
                let id = Int64(index + 1)
                guard let generated = daemon.generatedTokens(ofJob: id) else { continue }
                let saved = try checkpoints(fixture)[job.0]?.tokens ?? 0
                XCTAssertLessThanOrEqual(generated - saved, 5 + job.1.choices - 1, "\(job.0) after \(ticks) ticks")
            }
        }
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'succeeded'"), Self.jobs.count)
        let renewals = fixture.logs.events("renew").compactMap { Int($0["checkpoints"] ?? "") }
        XCTAssertGreaterThan(renewals.reduce(0, +), Self.jobs.count * 3, "several checkpoints per job")
    }
}
