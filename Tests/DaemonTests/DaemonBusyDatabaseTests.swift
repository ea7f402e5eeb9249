import Foundation
import TestSupport
import XCTest
@testable import Daemon
@testable import JobStore

/// `jobsd` as a child process while another process holds the database's write lock (issue 12,
/// fault 2: `jobsd --drain` started then used to exit 1). The daemon waits, says what it waits
/// for, and never exits for a busy database. A short `--busy-timeout` keeps the tests fast: the
/// lock is held 15 to 30 times longer than one attempt waits.
final class DaemonBusyDatabaseTests: XCTestCase {
    private func arguments(_ fixture: DaemonFixture, _ extra: [String]) -> [String] {
        ["--db", fixture.databasePath, "--model", fixture.modelPath, "--kv-memory", "16MiB", "--poll-ms", "20",
         "--max-wait-ms", "0", "--busy-timeout", "0.1"] + extra
    }

    func testDrainStartedWhileAnotherProcessHoldsTheLockWaitsAndFinishesEveryJob() throws {
        let fixture = try DaemonFixture()
        try fixture.submitCompletions(4, maxTokens: 4)
        let holder = try LockHolder(path: fixture.databasePath, statements: "UPDATE jobs SET priority = 1;")
        holder.release(after: 1.5)
        let daemon = try DaemonProcess(arguments(fixture, ["--drain"]), logDirectory: fixture.directory.path, name: "busy")
        XCTAssertEqual(try daemon.wait(timeout: 30), 0, daemon.stderr.suffix(2000).description)

        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM jobs WHERE state = 'succeeded'"), 4)
        XCTAssertEqual(try fixture.scalar("SELECT count(*) FROM results"), 4)
        let waits = daemon.events("store_error")
        XCTAssertEqual(waits.first?["action"], "claim jobs", daemon.stderr)
        XCTAssertEqual(waits.first?["level"], "warn", "a held lock is routine")
        XCTAssertTrue(waits.first?["error"]?.contains("is locked by another process") ?? false, daemon.stderr)
        XCTAssertLessThanOrEqual(waits.count, 2, "one line when the wait starts, not one per attempt")
        let recovered = try XCTUnwrap(daemon.events("store_recovered").first, daemon.stderr)
        XCTAssertEqual(recovered["action"], "claim jobs")
        XCTAssertGreaterThan(Double(recovered["waited_seconds"] ?? "") ?? 0, 1)
    }

    func testDaemonOnANewDatabaseWaitsForTheLockItsMigrationsNeed() throws {
        let fixture = try DaemonFixture()
        let path = fixture.directory.file("new.db")
        let holder = try LockHolder(path: path, preparation: "PRAGMA journal_mode = WAL;", statements: "CREATE TABLE other (x);")
        holder.release(after: 1.5)
        let daemon = try DaemonProcess(["--db", path] + arguments(fixture, ["--drain"]).dropFirst(2),
                                       logDirectory: fixture.directory.path, name: "new")
        XCTAssertEqual(try daemon.wait(timeout: 30), 0, daemon.stderr.suffix(2000).description)
        XCTAssertEqual(daemon.events("store_error").first?["action"], "open the database", daemon.stderr)
        XCTAssertEqual(daemon.events("store_recovered").first?["action"], "open the database", daemon.stderr)
        XCTAssertEqual(daemon.events("stop").last?["reason"], "drained")
        XCTAssertEqual(try JobStore(path: path, createIfMissing: false).counts().total, 0, "migrated")
    }

    func testSIGTERMWhileWaitingForTheDatabaseStopsCleanly() throws {
        let fixture = try DaemonFixture()
        let path = fixture.directory.file("new.db")
        let holder = try LockHolder(path: path, preparation: "PRAGMA journal_mode = WAL;", statements: "CREATE TABLE other (x);")
        defer { try? holder.abandon() }
        let daemon = try DaemonProcess(["--db", path] + arguments(fixture, []).dropFirst(2),
                                       logDirectory: fixture.directory.path, name: "term")
        eventually("jobsd says it waits for the database") { !daemon.events("store_error").isEmpty }
        daemon.signal(SIGTERM)
        XCTAssertEqual(try daemon.wait(timeout: 10), 0, daemon.stderr.suffix(2000).description)
        XCTAssertEqual(daemon.events("stop").last?["reason"], "shutdown")
    }

    func testBusyTimeoutOptionIsChecked() throws {
        let fixture = try DaemonFixture()
        let run = try DaemonProcess.run(["--db", fixture.databasePath, "--model", fixture.modelPath, "--busy-timeout", "-3"],
                                        logDirectory: fixture.directory.path, name: "bad")
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("--busy-timeout must be a number of seconds from 0 to 86400, got '-3'"), run.stderr)
    }
}
