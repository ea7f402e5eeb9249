import Foundation
import TestSupport
import XCTest
@testable import JobStore

final class QueryTests: XCTestCase {
    private let t0 = StoreFixture.epoch
    private func at(_ seconds: TimeInterval) -> Date { StoreFixture.at(seconds) }

    func testJobReferencesParse() {
        XCTAssertEqual(JobReference(parsing: "42"), .id(42))
        XCTAssertEqual(JobReference(parsing: "night/a-1"), .qualified(batch: "night", customID: "a-1"))
        XCTAssertEqual(JobReference(parsing: "night/a/b"), .qualified(batch: "night", customID: "a/b"))
        XCTAssertEqual(JobReference(parsing: "a-1"), .customID("a-1"))
        XCTAssertEqual(JobReference(parsing: "/x"), .customID("/x"))
        XCTAssertEqual(JobReference(parsing: "0"), .customID("0"))
    }

    func testFindsJobsByNumberBatchAndCustomID() throws {
        let fixture = try StoreFixture()
        try fixture.submit([#"{"id": "a", "prompt": "1"}"#, #"{"id": "x/y", "prompt": "2"}"#], name: "one")
        try fixture.submit([#"{"id": "a", "prompt": "3"}"#], name: "two")
        XCTAssertEqual(try fixture.store.job(.id(2)).customID, "x/y")
        XCTAssertEqual(try fixture.store.job(JobReference(parsing: "two/a")).id, 3)
        XCTAssertEqual(try fixture.store.job(JobReference(parsing: "x/y")).id, 2,
                       "x is not a batch, so x/y is a custom id")
        XCTAssertThrowsError(try fixture.store.job(JobReference(parsing: "a"))) {
            XCTAssertEqual("\($0)", "custom id a is used in several batches; name one of: one/a, two/a")
        }
        XCTAssertThrowsError(try fixture.store.job(JobReference(parsing: "99"))) {
            XCTAssertEqual("\($0)", "no job 99; use a job number (jobs list), BATCH/CUSTOM_ID, or a custom id")
        }
        XCTAssertThrowsError(try fixture.store.job(JobReference(parsing: "one/zzz")))
        // A batch named with the wrong case is pointed at, where that batch holds the id.
        try fixture.submit([#"{"id": "a", "prompt": "4"}"#], name: "ONE")
        XCTAssertThrowsError(try fixture.store.job(JobReference(parsing: "One/a"))) {
            XCTAssertEqual("\($0)", "no job One/a; batch names are case-sensitive: did you mean ONE/a or one/a?")
        }
        XCTAssertThrowsError(try fixture.store.job(JobReference(parsing: "TWO/x/y"))) {
            XCTAssertEqual("\($0)", "no job TWO/x/y; use a job number (jobs list), BATCH/CUSTOM_ID, or a custom id",
                           "two holds no x/y, so it is not offered")
        }
    }

    func testListFiltersByStateAndBatchWithLimit() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(5, name: "a")
        try fixture.submitJobs(2, name: "b")
        _ = try fixture.store.claim(limit: 2, owner: "d", lease: 30, now: t0)
        let queuedInA = try fixture.store.list(state: .queued, batch: "a", limit: 2)
        XCTAssertEqual(queuedInA.totalMatching, 3)
        XCTAssertEqual(queuedInA.jobs.map(\.customID), ["job3", "job4"], "the newest two, oldest first")
        XCTAssertEqual(try fixture.store.list(state: .running, limit: 10).jobs.map(\.id), [1, 2])
        XCTAssertEqual(try fixture.store.list(batch: "b", limit: 10).jobs.map(\.qualifiedName), ["b/job0", "b/job1"])
        XCTAssertThrowsError(try fixture.store.list(batch: "c", limit: 1))
    }

    func testCountsAndStats() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(4, name: "a", maxAttempts: 1)
        // Job i waits i seconds in the queue, takes 10 s, and generates 10 tokens.
        for i in 0..<3 {
            let job = try fixture.store.claim(limit: 1, owner: "d", lease: 60, now: at(Double(i)))[0]
            try fixture.store.complete(jobID: job.id, owner: "d",
                                       result: StoreFixture.result(completionTokens: 10),
                                       now: at(Double(i) + 10))
        }
        let counts = try fixture.store.counts(batch: "a")
        XCTAssertEqual(counts, { var c = JobCounts(); c.succeeded = 3; c.queued = 1; c.completionTokens = 30; return c }())
        XCTAssertFalse(counts.isComplete)

        let stats = try fixture.store.stats(batch: "a")
        XCTAssertEqual(stats.window, 12)  // first claim at 0, last finish at 12
        XCTAssertEqual(stats.jobsPerMinute!, 3.0 / 12 * 60, accuracy: 1e-9)
        XCTAssertEqual(stats.tokensPerSecond!, 30.0 / 12, accuracy: 1e-9)
        XCTAssertEqual(stats.queueWait?.p50, 1)
        XCTAssertEqual(stats.queueWait?.p99, 2)
        XCTAssertEqual(stats.timeToFirstToken?.p50, 0.25)
        XCTAssertEqual(stats.totalTime?.p50, 11)
        XCTAssertEqual(stats.totalTime?.count, 3)

        let empty = try StoreFixture()
        let none = try empty.store.stats()
        XCTAssertNil(none.window)
        XCTAssertNil(none.queueWait)
        XCTAssertTrue(none.counts.isComplete)
    }

    func testPercentilesUseNearestRank() {
        let sample = (1...100).map(Double.init)
        let p = Percentiles(sorted: sample)!
        XCTAssertEqual([p.p50, p.p95, p.p99], [50, 95, 99])
        XCTAssertEqual(Percentiles(sorted: [7])?.p99, 7)
        XCTAssertNil(Percentiles(sorted: []))
    }

    func testResultsStreamVisitsFinishedJobsInOrder() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(4, name: "a", maxAttempts: 1)
        try fixture.submitJobs(1, name: "b")
        let jobs = try fixture.store.claim(limit: 3, owner: "d", lease: 60, now: t0)
        try fixture.store.complete(jobID: jobs[0].id, owner: "d", result: StoreFixture.result(), now: at(1))
        try fixture.store.fail(jobID: jobs[1].id, owner: "d", message: "bad", retryable: false, now: at(1))
        try fixture.store.cancel(.id(jobs[2].id), now: at(1))
        var seen: [(String, JobState)] = []
        try fixture.store.resultsStream(batch: "a") { seen.append(($0.customID, $0.state)) }
        XCTAssertEqual(seen.map(\.0), ["job0", "job1", "job2"])
        XCTAssertEqual(seen.map(\.1), [.succeeded, .failed, .cancelled])
    }
}
