import Foundation
import XCTest
@testable import Daemon
@testable import JobStore

/// The database refusing writes (another process holds the lock, as `jobs submit` does for a
/// second or two on a large file): the daemon keeps results in memory and writes them later,
/// never twice.
final class DaemonStoreFailureTests: XCTestCase {
    func testResultsWaitInMemoryWhileTheDatabaseIsLocked() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(3, maxTokens: 4)
        let daemonStore = try JobStore(path: fixture.databasePath, busyTimeout: 0.02)
        let metrics = DaemonMetrics()
        let daemon = try fixture.daemon(DaemonFixture.configuration(drain: false), metrics: metrics, store: daemonStore)
        XCTAssertEqual(daemon.tick(), .worked)
        XCTAssertEqual(daemon.engine.runningCount, 3)

        try fixture.lockDatabase()
        var ticks = 0
        while daemon.engine.hasWork, ticks < 100 {
            _ = daemon.tick()
            ticks += 1
        }
        XCTAssertFalse(daemon.engine.hasWork, "generation goes on while the database is locked")
        XCTAssertEqual(daemon.summary.succeeded, 0, "nothing could be written")
        XCTAssertGreaterThan(metrics.storeErrors.value, 0)
        let problem = try XCTUnwrap(fixture.logs.events("store_error").first)
        XCTAssertTrue(problem["error"]?.contains("is locked by another process") ?? false, "\(problem)")
        XCTAssertTrue(fixture.logs.all.contains { $0.contains("level=warn event=store_error") }, "a lock is routine: warn")
        try fixture.unlockDatabase()

        eventually("the results are written") {
            _ = daemon.tick()
            return daemon.summary.succeeded == 3
        }
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM results"), 3)
        XCTAssertEqual(try fixture.integers("SELECT attempts FROM jobs"), [1, 1, 1])
        XCTAssertFalse(fixture.logs.events("store_recovered").isEmpty)
    }

    func testAResultHeldPastItsLeaseIsWrittenWhenNoOtherClaimTookTheJobBack() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(1, maxTokens: 3)
        let daemonStore = try JobStore(path: fixture.databasePath, busyTimeout: 0.02)
        let daemon = try fixture.daemon(DaemonFixture.configuration(leaseSeconds: 0.3, drain: true), store: daemonStore)
        XCTAssertEqual(daemon.tick(), .worked)

        try fixture.lockDatabase()
        while daemon.engine.hasWork { _ = daemon.tick() }
        XCTAssertEqual(daemon.summary.succeeded, 0)
        // The lease runs out while the result waits.
        Thread.sleep(forTimeInterval: 0.4)
        try fixture.unlockDatabase()

        XCTAssertEqual(daemon.run().exit, .drained)
        XCTAssertEqual(daemon.summary.leasesLost, 0, "nobody took the job back: the finished work counts")
        XCTAssertEqual(daemon.summary.succeeded, 1)
        let job = try fixture.job(1)
        XCTAssertEqual(job.state, .succeeded)
        XCTAssertEqual(job.attempts, 1, "it ran once")
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM results"), 1)
    }

    func testAResultHeldPastItsLeaseIsDroppedWhenAnotherDaemonTookTheJobBack() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(1, maxTokens: 3)
        let daemonStore = try JobStore(path: fixture.databasePath, busyTimeout: 0.02)
        let daemon = try fixture.daemon(DaemonFixture.configuration(leaseSeconds: 0.3, drain: true), store: daemonStore)
        XCTAssertEqual(daemon.tick(), .worked)

        try fixture.lockDatabase()
        while daemon.engine.hasWork { _ = daemon.tick() }
        Thread.sleep(forTimeInterval: 0.4)
        try fixture.unlockDatabase()
        // Another daemon gets the database first and takes the expired job over.
        let other = try fixture.store.claim(limit: 1, owner: "other", lease: 60)
        XCTAssertEqual(other.map(\.id), [1])
        XCTAssertTrue(try fixture.store.complete(jobID: 1, owner: "other", result: JobResult(
            text: "other", finishReason: .length, promptTokens: 1, completionTokens: 3, model: "m",
            timings: GenerationTimings(timeToFirstToken: 0, prefill: 0, decode: 0, tokensPerSecond: 0, meanActiveSequences: 1))))

        XCTAssertEqual(daemon.run().exit, .drained)
        XCTAssertEqual(daemon.summary.leasesLost, 1, "the stale result is not written")
        XCTAssertEqual(daemon.summary.succeeded, 0)
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM results"), 1)
        XCTAssertEqual(try fixture.texts("SELECT text FROM results"), ["other"])
    }
}

/// A forward pass that throws fails the jobs in the engine as retryable; the daemon goes on.
final class DaemonEngineFailureTests: XCTestCase {
    func testFailedForwardPassPutsJobsBackForAnotherAttempt() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(2, maxTokens: 4)
        let summary = try fixture.daemon(failingForwardPasses: 1).run()

        XCTAssertEqual(summary.exit, .drained)
        XCTAssertEqual(summary.retried, 2)
        XCTAssertEqual(summary.succeeded, 2)
        for job in try fixture.jobs() {
            XCTAssertEqual(job.state, .succeeded)
            XCTAssertEqual(job.attempts, 2)
        }
        let engineError = try XCTUnwrap(fixture.logs.events("engine_error").first)
        XCTAssertEqual(engineError["jobs"], "2")
        let retry = try XCTUnwrap(fixture.logs.events("retry").first)
        XCTAssertEqual(retry["error"], "forward pass failed: injected fault in the forward pass")
        XCTAssertEqual(retry["attempt"], "1")
        XCTAssertEqual(retry["max_attempts"], "3")
    }

    func testJobsOutOfAttemptsStayFailedWithTheError() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(1, maxTokens: 4, maxAttempts: 2)
        let summary = try fixture.daemon(failingForwardPasses: 2).run()

        XCTAssertEqual(summary.retried, 1)
        XCTAssertEqual(summary.failed, 1)
        let job = try fixture.job(1)
        XCTAssertEqual(job.state, .failed)
        XCTAssertEqual(job.attempts, 2)
        XCTAssertEqual(job.lastError, "forward pass failed: injected fault in the forward pass")
    }

    func testDaemonMaxAttemptsCapsTheJobsOwnLimit() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(1, maxTokens: 4, maxAttempts: 5)
        var configuration = DaemonFixture.configuration()
        configuration.maxAttempts = 1
        let summary = try fixture.daemon(failingForwardPasses: 1, configuration).run()

        XCTAssertEqual(summary.retried, 0)
        XCTAssertEqual(summary.failed, 1)
        let job = try fixture.job(1)
        XCTAssertEqual(job.state, .failed)
        XCTAssertEqual(job.attempts, 1)
    }
}
