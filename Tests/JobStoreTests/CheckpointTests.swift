import Foundation
import XCTest
@testable import JobStore
import RequestFormats
import TestSupport

/// Checkpoints in the store (token-level resume): written with the lease renewal and the
/// release, only by the lease's holder, one row per job replaced each time, handed out with
/// the next claim, and gone with the job's end in the same transaction as its result.
final class CheckpointTests: XCTestCase {
    private let t0 = StoreFixture.epoch
    private func at(_ seconds: TimeInterval) -> Date { StoreFixture.at(seconds) }

    private func checkpoint(_ jobID: Int64, tokens: Int, resumes: Int = 0, state: [UInt8]? = nil) -> JobCheckpoint {
        JobCheckpoint(jobID: jobID, model: "model-a", tokens: tokens, resumes: resumes,
                      state: state ?? (0..<tokens * 4).map { UInt8(truncatingIfNeeded: $0 * 7) })
    }

    private func rows(_ fixture: StoreFixture) throws -> Int {
        try fixture.store.withConnection { try $0.prepare("SELECT count(*) FROM checkpoints").firstRow { $0.int(0) } ?? -1 }
    }

    func testRenewalWritesAndReplacesAndTheNextClaimReceivesIt() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(2)
        let claimed = try fixture.store.claim(limit: 2, owner: "d1", lease: 30, now: t0)
        XCTAssertNil(claimed[0].checkpoint)
        let ids = claimed.map(\.id)
        try fixture.store.renewLeases(owner: "d1", jobIDs: ids, lease: 30,
                                      checkpoints: [checkpoint(ids[0], tokens: 8)], now: at(5))
        try fixture.store.renewLeases(owner: "d1", jobIDs: ids, lease: 30,
                                      checkpoints: [checkpoint(ids[0], tokens: 16, resumes: 2), checkpoint(ids[1], tokens: 0, state: [])],
                                      now: at(10))
        XCTAssertEqual(try rows(fixture), 2, "replaced, not appended")
        let saved = try XCTUnwrap(try fixture.store.checkpoint(jobID: ids[0]))
        XCTAssertEqual(saved, JobCheckpoint(jobID: ids[0], model: "model-a", tokens: 16, resumes: 2,
                                            state: checkpoint(ids[0], tokens: 16).state, writtenAt: at(10)))
        XCTAssertEqual(try fixture.store.checkpoint(jobID: ids[1])?.state, [], "an empty state survives as empty")

        // The daemon crashed: the next claim after the lease expired receives the checkpoints.
        let again = try fixture.store.claim(limit: 2, owner: "d2", lease: 30, now: at(41))
        XCTAssertEqual(again.map(\.id), ids)
        XCTAssertEqual(again[0].checkpoint, saved)
        XCTAssertEqual(again[1].checkpoint?.tokens, 0)
    }

    func testOnlyTheLeaseHolderWritesCheckpoints() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1)
        let id = try fixture.store.claim(limit: 1, owner: "d1", lease: 30, now: t0)[0].id
        try fixture.store.renewLeases(owner: "d1", jobIDs: [id], lease: 30, checkpoints: [checkpoint(id, tokens: 4)], now: at(1))
        // d1 stalls; its lease expires and d2 takes the job back.
        _ = try fixture.store.claim(limit: 1, owner: "d2", lease: 30, now: at(40))
        let held = try fixture.store.renewLeases(owner: "d1", jobIDs: [id], lease: 30,
                                                 checkpoints: [checkpoint(id, tokens: 12)], now: at(41))
        XCTAssertEqual(held, [])
        XCTAssertEqual(try fixture.store.release(owner: "d1", jobIDs: [id], checkpoints: [checkpoint(id, tokens: 13)], now: at(42)), 0)
        XCTAssertEqual(try fixture.store.checkpoint(jobID: id)?.tokens, 4, "the stale daemon overwrote nothing")
    }

    func testReleaseWritesCheckpointsInItsTransaction() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(2)
        let ids = try fixture.store.claim(limit: 2, owner: "d1", lease: 30, now: t0).map(\.id)
        XCTAssertEqual(try fixture.store.release(owner: "d1", jobIDs: ids, checkpoints: ids.map { checkpoint($0, tokens: 9) },
                                                 now: at(3)), 2)
        let again = try fixture.store.claim(limit: 2, owner: "d2", lease: 30, now: at(4))
        XCTAssertEqual(again.map { $0.checkpoint?.tokens }, [9, 9])
        XCTAssertEqual(again.map(\.attempt), [1, 1], "a release costs no attempt")
    }

    func testCheckpointEndsWithTheJobHoweverItEnds() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(5, maxAttempts: 1)
        let ids = try fixture.store.claim(limit: 5, owner: "d1", lease: 30, now: t0).map(\.id)
        try fixture.store.renewLeases(owner: "d1", jobIDs: ids, lease: 30, checkpoints: ids.map { checkpoint($0, tokens: 3) }, now: at(1))
        XCTAssertEqual(try rows(fixture), 5)

        XCTAssertTrue(try fixture.store.complete(jobID: ids[0], owner: "d1", result: StoreFixture.result(), now: at(2)))
        XCTAssertNil(try fixture.store.checkpoint(jobID: ids[0]), "with the result")
        XCTAssertEqual(try fixture.store.fail(jobID: ids[1], owner: "d1", message: "bad", retryable: false, now: at(2)), .failed)
        XCTAssertNil(try fixture.store.checkpoint(jobID: ids[1]), "with a final failure")
        _ = try fixture.store.cancel(.id(ids[2]), now: at(2))
        XCTAssertNil(try fixture.store.checkpoint(jobID: ids[2]), "with a cancel")
        // A lease that expires on the last attempt fails the job.
        _ = try fixture.store.claim(limit: 1, owner: "d2", lease: 30, now: at(60))
        XCTAssertEqual(try rows(fixture), 0)
    }

    func testRetryableFailureKeepsTheCheckpoint() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1, maxAttempts: 3)
        let id = try fixture.store.claim(limit: 1, owner: "d1", lease: 30, now: t0)[0].id
        try fixture.store.renewLeases(owner: "d1", jobIDs: [id], lease: 30, checkpoints: [checkpoint(id, tokens: 6)], now: at(1))
        guard case .willRetry = try fixture.store.fail(jobID: id, owner: "d1", message: "forward pass failed", retryable: true, now: at(2)) else {
            return XCTFail("should retry")
        }
        XCTAssertEqual(try fixture.store.checkpoint(jobID: id)?.tokens, 6, "the next attempt continues from it")
    }

    func testResultRecordsResumes() throws {
        let fixture = try StoreFixture()
        try fixture.submitJobs(1)
        let id = try fixture.store.claim(limit: 1, owner: "d1", lease: 30, now: t0)[0].id
        var result = StoreFixture.result()
        result.timings.resumedFromToken = 40
        result.timings.recomputedTokens = 24
        result.timings.resumes = 2
        XCTAssertTrue(try fixture.store.complete(jobID: id, owner: "d1", result: result, now: at(2)))
        guard case .succeeded(let stored, _, _)? = try fixture.store.result(jobID: id)?.outcome else { return XCTFail() }
        XCTAssertEqual(stored.timings, result.timings)
        let line = BatchOutputFormat.line(for: try XCTUnwrap(try fixture.store.result(jobID: id))).serialized()
        XCTAssertTrue(line.contains(#""resumes":2,"resumed_from_token":40,"recomputed_tokens":24"#), line)
    }
}
