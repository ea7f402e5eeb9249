import Foundation
import TestSupport
import XCTest
@testable import JobStore
import RequestFormats

final class LeaseTests: XCTestCase {
    private let t0 = StoreFixture.epoch
    private func at(_ seconds: TimeInterval) -> Date { StoreFixture.at(seconds) }

    func testClaimTakesHighestPriorityThenOldest() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(2, prefix: "low", name: "low", priority: 0)
        try fixture.submitJobs(2, prefix: "high", name: "high", priority: 9)
        let claimed = try fixture.store.claim(limit: 3, owner: "d1", lease: 30, now: t0)
        XCTAssertEqual(claimed.map(\.customID), ["high0", "high1", "low0"])
        XCTAssertEqual(claimed.map(\.attempt), [1, 1, 1])
        XCTAssertEqual(claimed[0].leaseExpiresAt, at(30))
        XCTAssertEqual(try claimed[0].decodedRequest(), JobRequest(input: .prompt("Say 0")))
        let job = try fixture.store.job(.id(claimed[0].id))
        XCTAssertEqual(job.state, .running)
        XCTAssertEqual(job.leaseOwner, "d1")
        XCTAssertEqual(job.claimedAt, t0)
    }

    func testClaimSkipsLeasedJob() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(2)
        let first = try fixture.store.claim(limit: 1, owner: "d1", lease: 30, now: t0)
        let second = try fixture.store.claim(limit: 5, owner: "d2", lease: 30, now: at(1))
        XCTAssertEqual(first.map(\.customID), ["job0"])
        XCTAssertEqual(second.map(\.customID), ["job1"])
        XCTAssertEqual(try fixture.store.claim(limit: 5, owner: "d3", lease: 30, now: at(2)), [])
    }

    func testExpiredLeaseMakesTheJobClaimableAgain() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1)
        let first = try fixture.store.claim(limit: 1, owner: "crashed", lease: 30, now: t0)
        XCTAssertEqual(try fixture.store.claim(limit: 1, owner: "d2", lease: 30, now: at(29)), [])
        XCTAssertEqual(try fixture.store.counts(now: at(29)).expiredLeases, 0)
        XCTAssertEqual(try fixture.store.counts(now: at(30)).expiredLeases, 1)
        let again = try fixture.store.claim(limit: 1, owner: "d2", lease: 30, now: at(30))
        XCTAssertEqual(again.map(\.id), first.map(\.id))
        XCTAssertEqual(again.first?.attempt, 2)
        XCTAssertEqual(try fixture.store.job(.id(first[0].id)).leaseOwner, "d2")
    }

    func testExpiredLeaseOnLastAttemptFailsTheJob() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1, maxAttempts: 1)
        let claimed = try fixture.store.claim(limit: 1, owner: "crashed", lease: 30, now: t0)
        XCTAssertEqual(try fixture.store.claim(limit: 1, owner: "d2", lease: 30, now: at(60)), [])
        let job = try fixture.store.job(.id(claimed[0].id))
        XCTAssertEqual(job.state, .failed)
        XCTAssertEqual(job.finishedAt, at(60))
        XCTAssertEqual(job.lastError, "lease of crashed expired during attempt 1 of 1 (the daemon stopped renewing it: crashed, killed or stalled)")
    }

    func testHeartbeatRenewsOnlyLeasesStillHeld() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(3)
        let jobs = try fixture.store.claim(limit: 3, owner: "d1", lease: 30, now: t0)
        try fixture.store.cancel(.id(jobs[1].id), now: at(5))
        let held = try fixture.store.renewLeases(owner: "d1", jobIDs: jobs.map(\.id), lease: 30, now: at(20))
        XCTAssertEqual(held, [jobs[0].id, jobs[2].id])
        XCTAssertEqual(try fixture.store.job(.id(jobs[0].id)).leaseExpiresAt, at(50))
        // Renewed: still ours after the original expiry.
        XCTAssertEqual(try fixture.store.claim(limit: 3, owner: "d2", lease: 30, now: at(40)), [])
        XCTAssertEqual(try fixture.store.renewLeases(owner: "d2", jobIDs: [jobs[0].id], lease: 30, now: at(40)), [])
        // Expired but not taken back: still d1's, so it renews (a daemon whose database was
        // locked or full past the lease keeps its work).
        XCTAssertEqual(try fixture.store.renewLeases(owner: "d1", jobIDs: [jobs[0].id], lease: 30, now: at(55)), [jobs[0].id])
        // Taken back by a claim after it expired: lost.
        XCTAssertEqual(try fixture.store.claim(limit: 3, owner: "d2", lease: 30, now: at(90)).map(\.id), [jobs[0].id, jobs[2].id])
        XCTAssertEqual(try fixture.store.renewLeases(owner: "d1", jobIDs: [jobs[0].id, jobs[2].id], lease: 30, now: at(91)), [])
    }

    func testCompleteWritesResultAndStateTogether() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1, now: t0)
        let job = try fixture.store.claim(limit: 1, owner: "d1", lease: 30, now: at(2))[0]
        XCTAssertTrue(try fixture.store.complete(jobID: job.id, owner: "d1",
                                                 result: StoreFixture.result(), now: at(5)))
        let record = try fixture.store.job(.id(job.id))
        XCTAssertEqual(record.state, .succeeded)
        XCTAssertNil(record.leaseOwner)
        XCTAssertEqual(record.finishedAt, at(5))
        guard case .succeeded(let result, let queueWait, let total)? =
                try fixture.store.result(jobID: job.id)?.outcome else {
            return XCTFail("no result")
        }
        XCTAssertEqual(result, StoreFixture.result())
        XCTAssertEqual(queueWait, 2, accuracy: 1e-6)
        XCTAssertEqual(total, 5, accuracy: 1e-6)
    }

    func testCompletionAfterTheLeaseExpiredWritesWhileNoClaimTookTheJobBack() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(2)
        let jobs = try fixture.store.claim(limit: 2, owner: "d1", lease: 30, now: t0)
        // Expired, nobody claimed since: nobody else can have run it, so the result counts.
        XCTAssertTrue(try fixture.store.complete(jobID: jobs[0].id, owner: "d1",
                                                 result: StoreFixture.result(), now: at(31)))
        XCTAssertEqual(try fixture.store.job(.id(jobs[0].id)).state, .succeeded)
        // Expired and taken back by a claim (here the same daemon's): the old run writes nothing.
        XCTAssertEqual(try fixture.store.claim(limit: 1, owner: "d1", lease: 30, now: at(32)).map(\.id), [jobs[1].id])
        XCTAssertTrue(try fixture.store.complete(jobID: jobs[1].id, owner: "d1", result: StoreFixture.result("new run"), now: at(33)))
        XCTAssertFalse(try fixture.store.complete(jobID: jobs[1].id, owner: "d1", result: StoreFixture.result("old run"), now: at(34)))
        XCTAssertEqual(try fixture.store.counts().succeeded, 2)
        XCTAssertEqual(try fixture.store.stats().counts.succeeded, 2)
    }

    func testCompletionWithStolenLeaseWritesNothing() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1)
        let job = try fixture.store.claim(limit: 1, owner: "slow", lease: 30, now: t0)[0]
        let stolen = try fixture.store.claim(limit: 1, owner: "fast", lease: 30, now: at(31))[0]
        XCTAssertEqual(stolen.id, job.id)
        XCTAssertTrue(try fixture.store.complete(jobID: job.id, owner: "fast",
                                                 result: StoreFixture.result("fast"), now: at(40)))
        // The slow daemon wakes up: its late result must not replace or duplicate the first.
        XCTAssertFalse(try fixture.store.complete(jobID: job.id, owner: "slow",
                                                  result: StoreFixture.result("slow"), now: at(41)))
        XCTAssertEqual(try fixture.store.fail(jobID: job.id, owner: "slow", message: "x",
                                              retryable: true, now: at(41)), .leaseLost)
        guard case .succeeded(let result, _, _)? = try fixture.store.result(jobID: job.id)?.outcome else {
            return XCTFail("no result")
        }
        XCTAssertEqual(result.text, "fast")
        XCTAssertEqual(try fixture.store.counts().succeeded, 1)
    }

    func testCompletionOfCancelledJobWritesNothing() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1)
        let job = try fixture.store.claim(limit: 1, owner: "d1", lease: 30, now: t0)[0]
        try fixture.store.cancel(.id(job.id), now: at(1))
        XCTAssertFalse(try fixture.store.complete(jobID: job.id, owner: "d1",
                                                  result: StoreFixture.result(), now: at(2)))
        XCTAssertEqual(try fixture.store.job(.id(job.id)).state, .cancelled)
    }

    func testRetryableFailureBacksOffExponentiallyThenFails() throws {
        let fixture = try StoreFixture(retryPolicy: RetryPolicy(baseDelay: 10, maximumDelay: 15))
        try fixture.submitJobs(1, maxAttempts: 3)
        var job = try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: t0)[0]
        XCTAssertEqual(try fixture.store.fail(jobID: job.id, owner: "d", message: "oom",
                                              retryable: true, now: at(1)), .willRetry(at: at(11)))
        XCTAssertEqual(try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: at(10.9)), [])
        job = try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: at(11))[0]
        XCTAssertEqual(job.attempt, 2)
        // 10 · 2^1 = 20, capped at 15.
        XCTAssertEqual(try fixture.store.fail(jobID: job.id, owner: "d", message: "oom",
                                              retryable: true, now: at(12)), .willRetry(at: at(27)))
        job = try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: at(27))[0]
        XCTAssertEqual(try fixture.store.fail(jobID: job.id, owner: "d", message: "oom again",
                                              retryable: true, now: at(28)), .failed)
        let record = try fixture.store.job(.id(job.id))
        XCTAssertEqual(record.state, .failed)
        XCTAssertEqual(record.attempts, 3)
        XCTAssertEqual(record.lastError, "oom again")
    }

    func testNonRetryableFailureFailsAtOnce() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1)
        let job = try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: t0)[0]
        XCTAssertEqual(try fixture.store.fail(
            jobID: job.id, owner: "d", message: "prompt has 9000 tokens; model context is 8192",
            retryable: false, now: at(1)), .failed)
        XCTAssertEqual(try fixture.store.job(.id(job.id)).state, .failed)
    }

    func testReleaseGivesJobsBackWithoutCountingTheAttempt() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(3)
        let jobs = try fixture.store.claim(limit: 3, owner: "d1", lease: 30, now: t0)
        XCTAssertEqual(try fixture.store.release(owner: "other"), 0)
        XCTAssertEqual(try fixture.store.release(owner: "d1", jobIDs: [jobs[0].id]), 1)
        XCTAssertEqual(try fixture.store.release(owner: "d1"), 2)
        let again = try fixture.store.claim(limit: 3, owner: "d2", lease: 30, now: at(1))
        XCTAssertEqual(again.map(\.id), jobs.map(\.id))
        XCTAssertEqual(again.map(\.attempt), [1, 1, 1])
    }

    func testReusableResultMatchesRequestAndModel() throws {
        let fixture = try StoreFixture()
        try fixture.submit([#"{"id": "a", "prompt": "same", "seed": 1}"#], name: "one")
        let job = try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: t0)[0]
        try fixture.store.complete(jobID: job.id, owner: "d", result: StoreFixture.result("cached"), now: at(1))
        try fixture.submit([#"{"id": "b", "prompt": "same", "seed": 1}"#], name: "two")
        let twin = try fixture.store.claim(limit: 1, owner: "d", lease: 30, now: at(2))[0]
        XCTAssertEqual(twin.requestHash, job.requestHash)
        let reusable = try fixture.store.findReusableResult(requestHash: twin.requestHash, model: "test-model")
        XCTAssertEqual(reusable?.jobID, job.id)
        XCTAssertEqual(reusable?.result.text, "cached")
        XCTAssertNil(try fixture.store.findReusableResult(requestHash: twin.requestHash, model: "other"))
        XCTAssertNil(try fixture.store.findReusableResult(requestHash: JobRequest(input: .prompt("x")).hash,
                                                          model: "test-model"))
    }

    /// Two connections (as two daemons would have) claim concurrently from one file: every job
    /// is handed out exactly once.
    func testTwoConnectionsNeverClaimTheSameJob() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(300)
        let stores = try (0..<2).map { _ in try JobStore(path: fixture.path, busyTimeout: 10) }
        let claimedIDs = LockedValue<[[Int64]]>([[], []])
        let errors = LockedValue<[String]>([])
        let ready = LockedValue(0)
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            var mine: [Int64] = []
            // Start together, so the claims really overlap.
            ready.withLock { $0 += 1 }
            while ready.withLock({ $0 }) < 2 { usleep(50) }
            do {
                while true {
                    let jobs = try stores[worker].claim(limit: 1 + worker * 2, owner: "d\(worker)",
                                                        lease: 60)
                    if jobs.isEmpty { break }
                    mine += jobs.map(\.id)
                    claimedIDs.withLock { $0[worker] = mine }
                    // Some "work"; and until the other worker has claimed something, wait for it
                    // (bounded), so the two really interleave even on a loaded machine.
                    var waited = 0
                    repeat { usleep(100); waited += 1 } while claimedIDs.withLock({ $0[1 - worker].isEmpty }) && waited < 20_000
                }
            } catch {
                errors.withLock { $0.append("\(error)") }
            }
            claimedIDs.withLock { $0[worker] = mine }
        }
        XCTAssertEqual(errors.withLock { $0 }, [])
        let all = claimedIDs.withLock { $0 }
        XCTAssertEqual(all[0].count + all[1].count, 300)
        XCTAssertEqual(Set(all[0]).intersection(all[1]), [])
        XCTAssertEqual(Set(all[0] + all[1]).count, 300)
        XCTAssertFalse(all[0].isEmpty || all[1].isEmpty, "both workers should have claimed jobs")
    }
}
