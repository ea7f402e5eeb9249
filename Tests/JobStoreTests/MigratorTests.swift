import Foundation
import TestSupport
import XCTest
@testable import JobStore

final class MigratorTests: XCTestCase {
    private let directory = TemporaryDirectory(prefix: "jobs-store-test")

    private func connection(_ name: String = "jobs.db") throws -> Connection {
        try Connection(path: directory.file(name), create: true, busyTimeoutMilliseconds: 1000)
    }

    private func tables(_ db: Connection) throws -> [String] {
        try db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .rows { $0.string(0) }
    }

    func testFreshDatabaseGetsEveryMigrationRecorded() throws {
        let db = try connection()
        try Migrator.migrate(db)
        XCTAssertEqual(try tables(db), ["batches", "checkpoints", "engine_samples", "jobs", "results", "schema_migrations"])
        let recorded = try db.prepare("SELECT version, name, checksum FROM schema_migrations")
            .rows { "\($0.int(0)) \($0.string(1)) \($0.string(2))" }
        XCTAssertEqual(recorded, Migration.embedded.map { "\($0.version) \($0.name) \($0.checksum)" })
    }

    func testMigratingTwiceChangesNothing() throws {
        let db = try connection()
        try Migrator.migrate(db, now: Date(timeIntervalSince1970: 1))
        try Migrator.migrate(db, now: Date(timeIntervalSince1970: 2))
        let times = try db.prepare("SELECT applied_at FROM schema_migrations").rows { $0.double(0) }
        XCTAssertEqual(times, Array(repeating: 1, count: Migration.embedded.count))
    }

    func testAppliesOnlyTheMissingMigrationsInOrder() throws {
        let db = try connection()
        let first = Migration(fileName: "001_one.sql", sql: "CREATE TABLE one (x INTEGER);")
        let second = Migration(fileName: "002_two.sql", sql: "ALTER TABLE one ADD COLUMN y TEXT;")
        try Migrator.migrate(db, migrations: [first])
        try Migrator.migrate(db, migrations: [first, second])
        try db.prepare("INSERT INTO one (x, y) VALUES (1, 'a')").run()
        XCTAssertEqual(try db.prepare("SELECT version FROM schema_migrations").rows { $0.int(0) }, [1, 2])
    }

    func testFailingMigrationRollsBackAndIsNotRecorded() throws {
        let db = try connection()
        let good = Migration(fileName: "001_good.sql", sql: "CREATE TABLE good (x INTEGER);")
        let bad = Migration(fileName: "002_bad.sql",
                            sql: "CREATE TABLE half (x INTEGER); INSERT INTO missing VALUES (1);")
        XCTAssertThrowsError(try Migrator.migrate(db, migrations: [good, bad]))
        XCTAssertEqual(try tables(db), ["good", "schema_migrations"])
        XCTAssertEqual(try db.prepare("SELECT version FROM schema_migrations").rows { $0.int(0) }, [1])
    }

    func testMigrationThatLeavesADanglingReferenceIsRolledBack() throws {
        let db = try connection()
        let parent = Migration(fileName: "001_parent.sql", sql: """
            CREATE TABLE parent (id INTEGER PRIMARY KEY);
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id));
            INSERT INTO parent VALUES (1); INSERT INTO child VALUES (7, 1);
            """)
        let orphaning = Migration(fileName: "002_orphaning.sql", sql: "DELETE FROM parent;")
        try Migrator.migrate(db, migrations: [parent])
        XCTAssertThrowsError(try Migrator.migrate(db, migrations: [parent, orphaning])) { error in
            guard case JobStoreError.migrationBrokeForeignKeys(_, "002_orphaning.sql", let rows) = error else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(rows.map(\.description), ["child row 7 -> parent"])
            XCTAssertTrue("\(error)".contains("the database is unchanged"), "\(error)")
        }
        XCTAssertEqual(try db.prepare("SELECT count(*) FROM parent").firstRow { $0.int(0) }, 1)
        XCTAssertEqual(try db.prepare("SELECT version FROM schema_migrations").rows { $0.int(0) }, [1])
        XCTAssertEqual(try db.prepare("PRAGMA foreign_keys").firstRow { $0.int(0) }, 1, "turned back on")
    }

    /// 005 rebuilds `batches` (its digest is no longer UNIQUE). A database written at 004, with
    /// a finished job, a queued one and a checkpoint, keeps every row and id, and deleting a
    /// batch still takes its jobs, results and checkpoints with it.
    func testRebuildingBatchesKeepsEveryRowAndTheCascades() throws {
        let path = directory.file("v4.db")
        let upTo4 = Array(Migration.embedded.prefix { $0.version <= 4 })
        XCTAssertEqual(upTo4.count, 4)
        do {
            let db = try Connection(path: path, create: true, busyTimeoutMilliseconds: 1000)
            try Migrator.migrate(db, migrations: upTo4)
            try db.execute("""
                INSERT INTO batches (id, name, source, sha256, created_at, job_count, skipped_count)
                VALUES (5, 'first', 'a.jsonl', 'abc', 1, 2, 1), (9, 'second', 'b.jsonl', 'def', 2, 1, 0);
                INSERT INTO jobs (id, batch_id, custom_id, line, max_attempts, created_at, queued_at,
                                  kind, request, request_hash, state, finished_at)
                VALUES (11, 5, 'x', 1, 3, 1, 1, 'completion', '{}', 'h', 'succeeded', 3),
                       (12, 9, 'y', 1, 3, 2, 2, 'completion', '{}', 'h', 'queued', NULL);
                INSERT INTO results (job_id, text, finish_reason, prompt_tokens, completion_tokens, model,
                                     queue_wait_seconds, time_to_first_token_seconds, prefill_seconds,
                                     decode_seconds, total_seconds, tokens_per_second, mean_batch_size)
                VALUES (11, 'done', 'stop', 1, 1, 'm', 0, 0, 0, 0, 0, 0, 1);
                """)
            try db.execute("INSERT INTO checkpoints (job_id, model, tokens, state, written_at) VALUES (12, 'm', 3, x'00', 2)")
        }
        let db = try connection("v4.db")
        try Migrator.migrate(db)
        XCTAssertEqual(try db.prepare("SELECT id, name, source, sha256, created_at, job_count, skipped_count FROM batches ORDER BY id")
                        .rows { "\($0.int(0)) \($0.string(1)) \($0.string(2)) \($0.string(3)) \($0.double(4)) \($0.int(5)) \($0.int(6))" },
                       ["5 first a.jsonl abc 1.0 2 1", "9 second b.jsonl def 2.0 1 0"])
        XCTAssertEqual(try db.prepare("SELECT id, batch_id FROM jobs ORDER BY id").rows { "\($0.int(0))/\($0.int(1))" },
                       ["11/5", "12/9"])
        XCTAssertEqual(try db.prepare("PRAGMA foreign_key_check").rows { $0.string(0) }, [])
        XCTAssertEqual(try db.prepare("PRAGMA foreign_keys").firstRow { $0.int(0) }, 1)
        // The digest may repeat now; the name may not.
        try db.execute("INSERT INTO batches (name, source, sha256, created_at, job_count) VALUES ('third', 'a.jsonl', 'abc', 3, 1)")
        XCTAssertThrowsError(try db.execute(
            "INSERT INTO batches (name, source, sha256, created_at, job_count) VALUES ('first', 'c.jsonl', 'xyz', 4, 1)"))
        let plan = try db.prepare("EXPLAIN QUERY PLAN SELECT id FROM batches WHERE sha256 = ?")
            .rows { $0.string(3) }.joined(separator: "; ")
        XCTAssertTrue(plan.contains("batches_sha256"), plan)
        // The jobs' foreign key now names the rebuilt table: deleting batches cascades.
        try db.execute("DELETE FROM batches WHERE id IN (5, 9)")
        for table in ["jobs", "results", "checkpoints"] {
            XCTAssertEqual(try db.prepare("SELECT count(*) FROM \(table)").firstRow { $0.int(0) }, 0, table)
        }
    }

    func testRefusesDatabaseFromNewerSchema() throws {
        let path = directory.file("newer.db")
        do {
            let db = try Connection(path: path, create: true, busyTimeoutMilliseconds: 1000)
            try Migrator.migrate(db)
            try db.prepare("INSERT INTO schema_migrations VALUES (99, 'from_the_future', 'x', 0)").run()
        }
        XCTAssertThrowsError(try JobStore(path: path)) { error in
            guard case JobStoreError.schemaTooNew(_, 99, let known) = error else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(known, Migration.embedded.last?.version)
            XCTAssertTrue("\(error)".contains("upgrade jobs"), "\(error)")
        }
    }

    func testRefusesMigrationChangedAfterItWasApplied() throws {
        let db = try connection()
        let original = Migration(fileName: "001_one.sql", sql: "CREATE TABLE one (x INTEGER);")
        let edited = Migration(fileName: "001_one.sql", sql: "CREATE TABLE one (x TEXT);")
        try Migrator.migrate(db, migrations: [original])
        XCTAssertThrowsError(try Migrator.migrate(db, migrations: [edited])) { error in
            guard case JobStoreError.migrationMismatch(_, 1, _, _) = error else {
                return XCTFail("unexpected \(error)")
            }
        }
    }

    func testConnectionUsesWALForeignKeysAndBusyTimeout() throws {
        let db = try connection()
        XCTAssertEqual(try db.prepare("PRAGMA journal_mode").firstRow { $0.string(0) }, "wal")
        XCTAssertEqual(try db.prepare("PRAGMA foreign_keys").firstRow { $0.int(0) }, 1)
        XCTAssertEqual(try db.prepare("PRAGMA busy_timeout").firstRow { $0.int(0) }, 1000)
        XCTAssertEqual(try db.prepare("PRAGMA synchronous").firstRow { $0.int(0) }, 1)  // NORMAL
    }

    func testDatabaseAndItsWALFilesAreOwnerOnly() throws {
        let path = directory.file("private.db")
        let oldMask = umask(0)  // even a permissive umask must not widen the mode
        defer { umask(oldMask) }
        let fixture = try JobStore(path: path)
        _ = try fixture.counts()
        for file in [path, path + "-wal", path + "-shm"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue
            XCTAssertEqual(mode, 0o600, "\(file) has mode \(String(mode ?? 0, radix: 8))")
        }
    }

    func testClaimQueryUsesTheClaimIndexWithoutSorting() throws {
        let db = try connection()
        try Migrator.migrate(db)
        let plan = try db.prepare("""
            EXPLAIN QUERY PLAN
            SELECT id FROM jobs WHERE state = 'queued' AND not_before <= 0
            ORDER BY priority DESC, id LIMIT 8
            """).rows { $0.string(3) }.joined(separator: "; ")
        XCTAssertTrue(plan.contains("jobs_claim_order"), plan)
        XCTAssertFalse(plan.contains("TEMP B-TREE"), plan)
        let expiry = try db.prepare("""
            EXPLAIN QUERY PLAN
            UPDATE jobs SET state = 'queued' WHERE state = 'running' AND lease_expires_at <= 0
            """).rows { $0.string(3) }.joined(separator: "; ")
        XCTAssertTrue(expiry.contains("jobs_lease_expiry"), expiry)
    }

    func testCustomIDLookupProbesTheBatchIndex() throws {
        let db = try connection()
        try Migrator.migrate(db)
        let plan = try db.prepare("""
            EXPLAIN QUERY PLAN
            SELECT j.id, b.name
            FROM batches b CROSS JOIN jobs j ON j.batch_id = b.id AND j.custom_id = ?
            ORDER BY j.id LIMIT 6
            """).rows { $0.string(3) }.joined(separator: "; ")
        XCTAssertTrue(plan.contains("sqlite_autoindex_jobs_1 (batch_id=? AND custom_id=?)"), plan)
    }

    func testReuseLookupUsesThePartialIndex() throws {
        let db = try connection()
        try Migrator.migrate(db)
        let plan = try db.prepare("""
            EXPLAIN QUERY PLAN
            SELECT j.id FROM jobs j WHERE j.request_hash = ? AND j.state = 'succeeded'
            """).rows { $0.string(3) }.joined(separator: "; ")
        XCTAssertTrue(plan.contains("jobs_reusable"), plan)
    }

    func testMissingDatabaseIsReportedWhenCreationIsNotAllowed() {
        let path = directory.file("absent.db")
        XCTAssertThrowsError(try JobStore(path: path, createIfMissing: false)) { error in
            guard case JobStoreError.databaseMissing(path) = error else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testUnwritableFolderGivesActionableError() {
        let path = "/nonexistent-folder-for-jobs-test/jobs.db"
        XCTAssertThrowsError(try JobStore(path: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
            XCTAssertTrue("\(error)".contains("folder"), "\(error)")
        }
    }

    func testFileThatIsNotADatabaseIsRefused() throws {
        let path = directory.write("notes.db", String(repeating: "not sqlite at all\n", count: 100))
        XCTAssertThrowsError(try JobStore(path: path)) { error in
            XCTAssertTrue("\(error)".contains("not a jobs database"), "\(error)")
        }
    }
}
