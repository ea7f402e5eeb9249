import Foundation
import JobStore
import TestSupport
import XCTest

/// `jobs` commands while another process holds the database's write lock (issue 12, fault 2:
/// `jobs list`, `stats` and `results` used to fail after 5 s with "database is locked").
final class BusyDatabaseCommandTests: XCTestCase {
    private func harnessWithResults() throws -> CLIHarness {
        let harness = CLIHarness()
        XCTAssertEqual(harness.run("submit", harness.file("p.jsonl", CLIHarness.shortLines)).code, 0)
        let store = try harness.store()
        let job = try store.claim(limit: 1, owner: "d", lease: 60)[0]
        try store.complete(jobID: job.id, owner: "d", result: CLIHarness.result(for: job))
        return harness
    }

    func testReadingCommandsAnswerAtOnceWhileAWriterHoldsTheLock() throws {
        let harness = try harnessWithResults()
        let holder = try LockHolder(path: harness.databasePath, statements: "DELETE FROM results; UPDATE jobs SET priority = 3;")
        defer { try? holder.abandon() }
        // Even with no patience at all: readers do not wait for the lock in WAL mode.
        harness.environment["JOBS_BUSY_TIMEOUT"] = "0"
        let start = Date()
        for arguments in [["list"], ["stats"], ["results"], ["show", "1"],
                          ["report", "-o", harness.directory.file("r.html")]] {
            let outcome = harness.run(arguments)
            XCTAssertEqual(outcome.code, 0, "jobs \(arguments.joined(separator: " ")): \(outcome.errors)")
        }
        XCTAssertTrue(harness.run("results").output.contains("answer to a"), "the committed result, not the held delete")
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)

        let cancel = harness.run("cancel", "2")
        XCTAssertEqual(cancel.code, 1)
        XCTAssertEqual(cancel.errors, "jobs: database \(harness.databasePath) is locked by another process (database is locked; "
            + "waited 0 ms for it); retry later, or wait longer with --busy-timeout SECONDS or JOBS_BUSY_TIMEOUT\n")
    }

    func testWritingCommandsWaitForTheLockUpToTheBusyTimeout() throws {
        let harness = try harnessWithResults()
        let holder = try LockHolder(path: harness.databasePath)
        let failed = harness.run("--busy-timeout", "0.2", "cancel", "2")
        XCTAssertEqual(failed.code, 1)
        XCTAssertTrue(failed.errors.contains("is locked by another process (database is locked; waited 200 ms for it)"), failed.errors)
        let submitFailed = harness.run("submit", "--busy-timeout=0.2", harness.file("q.jsonl", [#"{"id": "q", "prompt": "x"}"#]))
        XCTAssertEqual(submitFailed.code, 1, "a submit that cannot get the lock inserts nothing")

        holder.release(after: 1)
        let start = Date()
        harness.environment["JOBS_BUSY_TIMEOUT"] = "20"
        let cancelled = harness.run("cancel", "2")
        XCTAssertEqual(cancelled.code, 0, cancelled.errors)
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.8, "it waited for the holder")
        XCTAssertEqual(try harness.store().counts().total, 3, "the failed submit inserted nothing")
        XCTAssertEqual(harness.run("submit", harness.file("q.jsonl", [#"{"id": "q", "prompt": "x"}"#])).code, 0)
    }

    func testBusyTimeoutMustBeANumberOfSeconds() {
        let harness = CLIHarness()
        let option = harness.run("--busy-timeout", "soon", "list")
        XCTAssertEqual(option.code, 2)
        XCTAssertTrue(option.errors.hasPrefix("jobs: --busy-timeout must be a number of seconds from 0 to 86400, got 'soon'\n"), option.errors)
        harness.environment["JOBS_BUSY_TIMEOUT"] = "-1"
        let environment = harness.run("list")
        XCTAssertEqual(environment.code, 1)
        XCTAssertEqual(environment.errors, "jobs: JOBS_BUSY_TIMEOUT must be a number of seconds from 0 to 86400, got '-1'\n")
    }
}
