import Foundation
import TestSupport
import XCTest
@testable import JobStore

/// Another process holding the write lock (issue 12, fault 2): readers go on in WAL mode as if
/// it were not there, writers wait for it up to their busy timeout and then fail with a
/// message, and opening an up-to-date file takes no lock at all.
final class BusyDatabaseTests: XCTestCase {
    private func storeWithJobs(_ count: Int = 3) throws -> StoreFixture {
        let fixture = try StoreFixture()
        try fixture.submitJobs(count, name: "held")
        let job = try fixture.store.claim(limit: 1, owner: "d", lease: 60)[0]
        try fixture.store.complete(jobID: job.id, owner: "d", result: StoreFixture.result())
        return fixture
    }

    func testReadersAreNotStoppedByAnotherProcessHoldingTheWriteLock() throws {
        let fixture = try storeWithJobs()
        let holder = try LockHolder(path: fixture.path, statements: "UPDATE jobs SET priority = 7; DELETE FROM results;")
        defer { try? holder.abandon() }

        let start = Date()
        // A fresh reader, opened while the lock is held, with a timeout far below the hold.
        let reader = try JobStore(path: fixture.path, createIfMissing: false, access: .readOnly, busyTimeout: 0.05)
        XCTAssertEqual(try reader.counts().total, 3)
        XCTAssertEqual(try reader.list(limit: 10).jobs.map(\.priority), [0, 0, 0], "the uncommitted change is not seen")
        XCTAssertEqual(try reader.stats().counts.succeeded, 1)
        var results = 0
        try reader.resultsStream { _ in results += 1 }
        XCTAssertEqual(results, 1)
        XCTAssertEqual(try reader.job(.id(1)).state, .succeeded)
        XCTAssertNotNil(try reader.result(jobID: 1))
        XCTAssertEqual(try reader.finishedJobTimings().count, 1)
        // A read-write store opens without the lock too (nothing to migrate) and can read.
        let writer = try JobStore(path: fixture.path, createIfMissing: false, busyTimeout: 0.05)
        XCTAssertEqual(try writer.counts().total, 3)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2, "no reader waited for the lock")
        // Only the write waits, and fails after its timeout with what to do.
        XCTAssertThrowsError(try writer.cancel(.id(2))) { error in
            XCTAssertEqual("\(error)", "database \(fixture.path) is locked by another process (database is locked; "
                + "waited 50 ms for it); retry later, or wait longer with --busy-timeout SECONDS or JOBS_BUSY_TIMEOUT")
        }
        XCTAssertThrowsError(try reader.cancel(.id(2)), "a read-only store never writes") { error in
            XCTAssertTrue("\(error)".contains("is read-only"), "\(error)")
        }
    }

    func testWriterWaitsForTheLockLongerThanTheOldFiveSecondsAndThenSucceeds() throws {
        let fixture = try storeWithJobs()
        let writer = try JobStore(path: fixture.path, createIfMissing: false, busyTimeout: 30)
        let holder = try LockHolder(path: fixture.path, statements: "UPDATE jobs SET priority = 7;")
        let start = Date()
        holder.release(after: 1)
        // Waiting is SQLite's busy handler: it retries with backoff until the holder commits.
        XCTAssertEqual(try writer.cancel(batch: "held"), 2)
        let waited = Date().timeIntervalSince(start)
        XCTAssertGreaterThan(waited, 0.9)
        XCTAssertEqual(try writer.list(limit: 10).jobs.map(\.priority), [7, 7, 7], "the holder's change went in first")
        XCTAssertEqual(JobStore.defaultBusyTimeout, 60, "writers wait a minute by default, not 5 s")
    }

    func testWriterThatGivesUpChangesNothing() throws {
        let fixture = try StoreFixture(busyTimeout: 0.1)
        let holder = try LockHolder(path: fixture.path)
        XCTAssertThrowsError(try fixture.submitJobs(2)) { XCTAssertTrue("\($0)".contains("is locked"), "\($0)") }
        try holder.release()
        XCTAssertEqual(try fixture.store.counts().total, 0)
        XCTAssertEqual(try fixture.store.batches().count, 0)
    }

    func testOpeningANewFileWaitsForTheLockItsMigrationsNeed() throws {
        let directory = TemporaryDirectory(prefix: "jobs-store-test")
        let path = directory.file("new.db")
        let holder = try LockHolder(path: path, preparation: "PRAGMA journal_mode = WAL;", statements: "CREATE TABLE other (x);")
        XCTAssertThrowsError(try JobStore(path: path, busyTimeout: 0.05)) { error in
            guard case JobStoreError.sqlite(let sqlite) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(sqlite.isBusy, "\(error)")
        }
        holder.release(after: 0.5)
        let store = try JobStore(path: path, busyTimeout: 30)
        XCTAssertEqual(try store.counts().total, 0)
    }
}
