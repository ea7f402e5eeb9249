import Foundation
import JobStore
import TestSupport
import XCTest

/// `jobs` with its database on a full file system (a 1 MiB tmpfs the test mounts and fills): a
/// submit fails saying so and queues nothing, the reading commands go on, and once space is
/// back the same submit works.
final class DiskFullCommandTests: XCTestCase {
    func testSubmitOnAFullDiskFailsSayingSoWhileReadersWork() throws {
        let disk = try TestMount.tmpfs(bytes: 1 << 20)
        let harness = CLIHarness()
        let path = disk.file("jobs.db")
        harness.environment["JOBS_DB"] = path
        XCTAssertEqual(harness.run("submit", harness.file("small.jsonl", CLIHarness.shortLines)).code, 0)
        try disk.fill()

        let lines = (0..<500).map { #"{"id": "big-\#($0)", "prompt": "A longer prompt to take some room, number \#($0)"}"# }
        let big = harness.file("big.jsonl", lines)
        let full = harness.run("submit", big)
        XCTAssertEqual(full.code, 1)
        // With no -shm file left by an open connection, SQLite runs out of room for it first.
        XCTAssertEqual(full.errors, "jobs: disk full while writing database \(path) (no room for \(path)-shm, the shared-memory "
            + "index SQLite keeps beside it); free some space and retry\n")
        for arguments in [["list"], ["stats"], ["results"], ["show", "1"]] {
            let outcome = harness.run(arguments)
            XCTAssertEqual(outcome.code, 0, "jobs \(arguments.joined(separator: " ")) on a full disk: \(outcome.errors)")
        }
        XCTAssertTrue(harness.run("stats").output.contains("3"), "the first batch only")

        disk.free()
        XCTAssertEqual(harness.run("submit", big).code, 0, "the same file goes in once space is back")
        XCTAssertEqual(try JobStore(path: path, createIfMissing: false, access: .readOnly).counts().total, 503)
    }
}
