import Foundation
import TestSupport
import XCTest
@testable import JobStore

/// A database in a folder mounted read-only, which the kernel refuses to write for every user,
/// root included (`chmod` is tested with the `jobs` binary in `ReadOnlyCommandTests`): reading
/// works, opening to write fails at once naming the file.
final class ReadOnlyDatabaseTests: XCTestCase {
    func testReadOnlyMountIsReadableAndRefusesWritersNamingTheFile() throws {
        let directory = TemporaryDirectory(prefix: "jobs-store-test")
        do {
            // Closed again before the mount: no -wal or -shm file is left behind.
            let fixture = try JobStore(path: directory.file("jobs.db"))
            XCTAssertNotNil(try fixture.submit(DiskFullTests.submission(3, name: "ro")))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file("jobs.db-wal")))
        let view = try TestMount.readOnlyView(of: directory.path)
        let path = view.file("jobs.db")

        let reader = try JobStore(path: path, createIfMissing: false, access: .readOnly)
        XCTAssertEqual(try reader.counts().total, 3)
        XCTAssertEqual(try reader.list(limit: 10).jobs.map(\.customID), ["ro-0", "ro-1", "ro-2"])
        XCTAssertEqual(try reader.job(.qualified(batch: "ro", customID: "ro-1")).state, .queued)

        let expected = "database \(path) is read-only (its file, folder or file system does not allow writing); "
            + "make them writable for the user that runs jobs and jobsd (SQLite also writes \(path)-wal and \(path)-shm beside it). "
            + "Commands that only read (list, show, stats, results, report) work as it is"
        XCTAssertThrowsError(try JobStore(path: path, createIfMissing: false)) { XCTAssertEqual("\($0)", expected) }
        // A file of an older schema cannot be read before it is upgraded, which needs writing.
        do {
            let old = try Connection(path: directory.file("old.db"), create: true, busyTimeoutMilliseconds: 1000)
            try Migrator.migrate(old, migrations: Array(Migration.embedded.prefix(4)))
        }
        XCTAssertThrowsError(try JobStore(path: view.file("old.db"), createIfMissing: false, access: .readOnly)) { error in
            guard case JobStoreError.upgradeNeedsWriting(_, 4, Migration.embedded.last!.version) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertFalse("\(error)".contains("work as it is"), "\(error)")
        }
        XCTAssertThrowsError(try JobStore(path: view.file("new.db"))) { error in
            XCTAssertEqual("\(error)", "cannot create database \(view.file("new.db")): Read-only file system; check that its folder exists and is writable")
        }
    }
}
