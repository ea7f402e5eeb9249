import Foundation
import TestSupport
import XCTest
@testable import JobStore

final class AdministrationTests: XCTestCase {
    private let t0 = StoreFixture.epoch
    private func at(_ seconds: TimeInterval) -> Date { StoreFixture.at(seconds) }

    func testCancelQueuedJob() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(2)
        let cancelled = try fixture.store.cancel(.customID("job0"), now: at(3))
        XCTAssertEqual(cancelled.state, .cancelled)
        XCTAssertEqual(cancelled.finishedAt, at(3))
        XCTAssertEqual(try fixture.store.claim(limit: 5, owner: "d", lease: 30, now: at(4)).map(\.customID), ["job1"])
    }

    func testCancelFinishedJobIsAnError() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1)
        let job = try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: t0)[0]
        try fixture.store.complete(jobID: job.id, owner: "d", result: StoreFixture.result(), now: at(1))
        XCTAssertThrowsError(try fixture.store.cancel(.id(job.id))) {
            XCTAssertEqual("\($0)", "job \(job.id) has already succeeded; only queued or running jobs can be cancelled")
        }
    }

    func testCancelBatchCancelsOnlyUnfinishedJobs() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(3, name: "b")
        try fixture.submitJobs(1, name: "other")
        let job = try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: t0)[0]
        try fixture.store.complete(jobID: job.id, owner: "d", result: StoreFixture.result(), now: at(1))
        XCTAssertEqual(try fixture.store.cancel(batch: "b", now: at(2)), 2)
        let counts = try fixture.store.counts(batch: "b")
        XCTAssertEqual([counts.succeeded, counts.cancelled, counts.queued], [1, 2, 0])
        XCTAssertEqual(try fixture.store.counts(batch: "other").queued, 1)
        XCTAssertThrowsError(try fixture.store.cancel(batch: "nope")) {
            XCTAssertEqual("\($0)", "no batch named \"nope\"; known batches: other, b")
        }
        try fixture.submitJobs(1, name: "Other")
        XCTAssertThrowsError(try fixture.store.cancel(batch: "OTHER")) {
            XCTAssertEqual("\($0)", "no batch named \"OTHER\"; batch names are case-sensitive: did you mean Other or other?")
        }
    }

    func testRetryResetsAttemptsAndQueuesAgain() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1, maxAttempts: 1)
        let job = try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: t0)[0]
        try fixture.store.fail(jobID: job.id, owner: "d", message: "boom", retryable: true, now: at(1))
        let retried = try fixture.store.retry(.id(job.id), now: at(100))
        XCTAssertEqual(retried.state, .queued)
        XCTAssertEqual(retried.attempts, 0)
        XCTAssertNil(retried.lastError)
        XCTAssertNil(retried.finishedAt)
        XCTAssertEqual(retried.queuedAt, at(100))
        let again = try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: at(104))[0]
        try fixture.store.complete(jobID: again.id, owner: "d", result: StoreFixture.result(), now: at(105))
        guard case .succeeded(_, let queueWait, _)? = try fixture.store.result(jobID: job.id)?.outcome else {
            return XCTFail("no result")
        }
        XCTAssertEqual(queueWait, 4, accuracy: 1e-6, "queue wait counts from the retry")
    }

    func testRetryOfQueuedOrSucceededJobIsAnError() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1)
        XCTAssertThrowsError(try fixture.store.retry(.customID("job0"))) {
            XCTAssertEqual("\($0)", "job 1 is queued already; only failed or cancelled jobs can be retried")
        }
    }

    func testRetryFailedRequeuesOnlyFailedJobsOfTheBatch() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(3, name: "a", maxAttempts: 1)
        try fixture.submitJobs(1, name: "b", maxAttempts: 1)
        for job in try fixture.store.claim(limit: 4, owner: "d", lease: 30, now: t0) {
            try fixture.store.fail(jobID: job.id, owner: "d", message: "x", retryable: false, now: at(1))
        }
        XCTAssertEqual(try fixture.store.retryFailed(batch: "a", now: at(2)), 3)
        XCTAssertEqual(try fixture.store.counts(batch: "b").failed, 1)
        XCTAssertEqual(try fixture.store.retryFailed(now: at(3)), 1)
        XCTAssertEqual(try fixture.store.counts().queued, 4)
    }

    func testPruneRemovesOldFinishedJobsResultsAndEmptyBatches() throws {
        let fixture = try StoreFixture()
        let old = try fixture.submitJobs(2, name: "old")
        try fixture.submitJobs(2, prefix: "later", name: "new")
        for job in try fixture.store.claim(limit: 2, owner: "d", lease: 30, now: t0) {
            try fixture.store.complete(jobID: job.id, owner: "d", result: StoreFixture.result(), now: at(1))
        }
        for job in try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: at(1000)) {
            try fixture.store.complete(jobID: job.id, owner: "d", result: StoreFixture.result(), now: at(1001))
        }
        let outcome = try fixture.store.prune(finishedBefore: at(500))
        XCTAssertEqual(outcome, PruneOutcome(jobs: 2, batches: 1))
        XCTAssertNil(try fixture.store.batch(named: "old"))
        XCTAssertNil(try fixture.store.batch(sha256: old.sha256))
        let counts = try fixture.store.counts()
        XCTAssertEqual([counts.succeeded, counts.queued], [1, 1])
        let orphans = try fixture.store.withConnection { db in
            try db.prepare("SELECT count(*) FROM results WHERE job_id NOT IN (SELECT id FROM jobs)")
                .firstRow { $0.int(0) }
        }
        XCTAssertEqual(orphans, 0)
        try fixture.store.vacuum()
    }

    func testPruneByStateKeepsOtherStates() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(2, maxAttempts: 1)
        let jobs = try fixture.store.claim(limit: 2, owner: "d", lease: 30, now: t0)
        try fixture.store.complete(jobID: jobs[0].id, owner: "d", result: StoreFixture.result(), now: at(1))
        try fixture.store.fail(jobID: jobs[1].id, owner: "d", message: "x", retryable: false, now: at(1))
        XCTAssertEqual(try fixture.store.prune(finishedBefore: at(10), states: [.failed]).jobs, 1)
        XCTAssertEqual(try fixture.store.counts().succeeded, 1)
        XCTAssertEqual(try fixture.store.counts().failed, 0)
    }
}
