import Foundation
import TestSupport
import XCTest
@testable import Daemon
@testable import JobStore
import RequestFormats

/// The daemon's database on a file system that fills up while jobs run (a 2 MiB tmpfs the test
/// mounts and fills): generation goes on, the results wait in memory with their leases kept,
/// and once space is back each is written exactly once. No job is lost or run twice, even when
/// the disk stays full longer than the leases.
final class DaemonDiskFullTests: XCTestCase {
    func testResultsWaitForSpaceAndAreWrittenOnceWhenItIsBack() throws {
        let fixture = try DaemonFixture()
        let disk = try TestMount.tmpfs(bytes: 2 << 20)
        let store = try JobStore(path: disk.file("jobs.db"), busyTimeout: 0.05)
        let jobs = (0..<6).map { ParsedJob(line: $0 + 1, customID: "p\($0)",
                                            request: DaemonFixture.completion(DaemonFixture.prompt($0), maxTokens: 6)) }
        _ = try store.submit(BatchSubmission(name: "full", source: "full.jsonl", sha256: "full", maxAttempts: 3, jobs: jobs))
        let metrics = DaemonMetrics()
        let daemon = try fixture.daemon(DaemonFixture.configuration(leaseSeconds: 0.5, drain: true),
                                        metrics: metrics, store: store)
        XCTAssertEqual(daemon.tick(), .worked)
        XCTAssertEqual(daemon.engine.runningCount, 6)

        // A checkpoint empties the -wal file, so every later write needs new blocks.
        try store.withConnection { try $0.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        try disk.fill()
        var ticks = 0
        while daemon.engine.hasWork, ticks < 200 {
            _ = daemon.tick()
            ticks += 1
        }
        XCTAssertFalse(daemon.engine.hasWork, "generation goes on while the disk is full")
        // The leases run out in the database while the disk stays full; the daemon keeps trying.
        let until = Date().addingTimeInterval(0.8)
        while Date() < until { _ = daemon.tick(); Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertEqual(daemon.summary.succeeded, 0, "nothing could be written")
        XCTAssertEqual(try store.counts().running, 6, "the jobs are still the daemon's")
        let problems = fixture.logs.events("store_error")
        let write = try XCTUnwrap(problems.first { $0["action"] == "write job results" }, "\(problems)")
        XCTAssertEqual(write["level"], "error", "a full disk needs a person")
        XCTAssertTrue(write["error"]?.hasPrefix("disk full while writing database \(disk.file("jobs.db"))") ?? false, "\(write)")
        XCTAssertLessThan(problems.count, 10, "one line per kind of work, not one per attempt: \(problems)")
        XCTAssertGreaterThan(metrics.storeErrors.value, 3)

        disk.free()
        eventually("the results are written once space is back, and the queue drains") {
            daemon.tick() == .stopped
        }
        XCTAssertEqual(daemon.summary.exit, .drained)
        XCTAssertEqual(daemon.summary.succeeded, 6)
        XCTAssertEqual(daemon.summary.leasesLost, 0)
        let check = try JobStore(path: disk.file("jobs.db"), createIfMissing: false, access: .readOnly)
        XCTAssertEqual(try check.counts().succeeded, 6)
        XCTAssertEqual(try check.list(limit: 10).jobs.map(\.attempts), [1, 1, 1, 1, 1, 1], "no job ran twice")
        var results: [Int64] = []
        try check.resultsStream { results.append($0.jobID) }
        XCTAssertEqual(results.sorted(), [1, 2, 3, 4, 5, 6], "one result each")
        let recovered = fixture.logs.events("store_recovered").first { $0["action"] == "write job results" }
        XCTAssertGreaterThan(Double(recovered?["waited_seconds"] ?? "") ?? 0, 0.5)
    }
}
