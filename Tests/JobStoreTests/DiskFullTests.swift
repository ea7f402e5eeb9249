import Foundation
import TestSupport
import XCTest
@testable import JobStore
import RequestFormats

/// A database on a full file system (a 1 MiB tmpfs filled up by the test): a submit fails with
/// a message that says so and inserts nothing; reading goes on; once space is back, writing
/// works again.
final class DiskFullTests: XCTestCase {
    static func submission(_ count: Int, name: String) -> BatchSubmission {
        let text = (0..<count).map { #"{"id": "\#(name)-\#($0)", "prompt": "Write about item \#($0) at some length"}"# }
            .joined(separator: "\n") + "\n"
        var bytes = text
        let parsed = bytes.withUTF8 { BatchFileParser.parse($0) }
        return BatchSubmission(name: name, source: "\(name).jsonl", sha256: SHA256.hex(text), priority: 0,
                               maxAttempts: 3, jobs: parsed.jobs)
    }

    /// Empties the -wal file, so that the next write needs new blocks of the file system
    /// (SQLite reuses a -wal file's blocks after a checkpoint).
    static func truncateWAL(_ store: JobStore) throws {
        try store.withConnection { try $0.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    func testSubmitOnAFullDiskFailsSayingSoAndInsertsNothing() throws {
        let disk = try TestMount.tmpfs(bytes: 1 << 20)
        let path = disk.file("jobs.db")
        let store = try JobStore(path: path, busyTimeout: 1)
        XCTAssertNotNil(try store.submit(Self.submission(5, name: "before")))
        try Self.truncateWAL(store)
        try disk.fill()

        XCTAssertThrowsError(try store.submit(Self.submission(400, name: "full"))) { error in
            XCTAssertEqual("\(error)", "disk full while writing database \(path) (database or disk is full); free some space and retry")
        }
        // Reading needs no space: the same store and a new reader both work.
        XCTAssertEqual(try store.counts().total, 5)
        let reader = try JobStore(path: path, createIfMissing: false, access: .readOnly)
        XCTAssertEqual(try reader.batches().map(\.name), ["before"])
        XCTAssertEqual(try reader.list(limit: 1000).jobs.count, 5, "nothing of the failed batch went in")

        disk.free()
        XCTAssertNotNil(try store.submit(Self.submission(400, name: "full")))
        XCTAssertEqual(try store.counts().total, 405)
        XCTAssertEqual(try store.withConnection { try $0.prepare("PRAGMA quick_check").rows { $0.string(0) } }, ["ok"])
    }
}
