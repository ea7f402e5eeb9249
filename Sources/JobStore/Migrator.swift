import Foundation

/// Brings a database up to the newest schema: applies each missing migration in order, each in
/// its own `BEGIN IMMEDIATE` transaction together with its row in `schema_migrations`, so two
/// processes opening a fresh file at once apply every migration exactly once. A database that
/// records a migration this build does not know (a newer `jobs` wrote it) is refused.
///
/// The recorded migrations are read first in a read transaction: an up-to-date database (the
/// usual case) is opened without the write lock, so opening never waits for a writer and works
/// on a read-only file.
///
/// Foreign keys are off while a migration runs and checked (`PRAGMA foreign_key_check`) before
/// it commits, as GRDB's migrator does: changing a table's constraints in SQLite means building
/// a new table and dropping the old one (https://www.sqlite.org/lang_altertable.html, "Making
/// Other Kinds Of Table Schema Changes"), and with foreign keys on, dropping `batches` would
/// delete every job through `ON DELETE CASCADE`. A migration that leaves a dangling reference
/// is rolled back (`migrationBrokeForeignKeys`).
enum Migrator {
    static func migrate(_ connection: Connection, migrations: [Migration] = Migration.embedded,
                        now: Date = Date()) throws {
        let versions = migrations.map(\.version)
        precondition(versions == versions.sorted() && Set(versions).count == versions.count,
                     "migrations must have distinct, increasing versions")
        if try isUpToDate(connection, migrations: migrations) { return }
        while try applyNext(connection, migrations: migrations, now: now) {}
    }

    /// Whether the file records every migration (read without the write lock). Throws
    /// `schemaTooNew` or `migrationMismatch` like `migrate`.
    static func isUpToDate(_ connection: Connection, migrations: [Migration] = Migration.embedded) throws -> Bool {
        try connection.transaction(.deferred) {
            try nextMissing(connection, migrations: migrations, createTable: false) == nil
        }
    }

    /// The newest migration the file records; 0 for a file no `jobs` has set up.
    static func recordedVersion(_ connection: Connection) throws -> Int {
        try connection.transaction(.deferred) {
            guard try hasMigrationsTable(connection) else { return 0 }
            return try connection.prepare("SELECT max(version) FROM schema_migrations").firstRow { $0.int(0) } ?? 0
        }
    }

    /// Whether the file has the `schema_migrations` table (a file no `jobs` has set up has not).
    static func hasMigrationsTable(_ connection: Connection) throws -> Bool {
        try connection.prepare("""
            SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'
            """).firstRow { _ in true } ?? false
    }

    /// Applies the first missing migration; false when there was none.
    private static func applyNext(_ connection: Connection, migrations: [Migration],
                                  now: Date) throws -> Bool {
        // The pragma is a no-op inside a transaction, so it is set around it.
        try connection.execute("PRAGMA foreign_keys = OFF")
        defer { try? connection.execute("PRAGMA foreign_keys = ON") }
        return try connection.transaction(.immediate) {
            guard let next = try nextMissing(connection, migrations: migrations, createTable: true) else {
                return false
            }
            try connection.execute(next.sql)
            let dangling = try DanglingReference.all(connection)
            if !dangling.isEmpty {
                throw JobStoreError.migrationBrokeForeignKeys(
                    path: connection.path, migration: next.fileName, rows: dangling)
            }
            try connection.prepare("""
                INSERT INTO schema_migrations (version, name, checksum, applied_at)
                VALUES (?, ?, ?, ?)
                """).bind(.int(next.version), .text(next.name), .text(next.checksum),
                          .real(now.timeIntervalSince1970)).run()
            return true
        }
    }

    /// The first migration the file lacks, after checking that what it records matches this
    /// build. Without `createTable`, a file with no `schema_migrations` table lacks them all.
    private static func nextMissing(_ connection: Connection, migrations: [Migration],
                                    createTable: Bool) throws -> Migration? {
        if createTable {
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER PRIMARY KEY,
                    name       TEXT NOT NULL,
                    checksum   TEXT NOT NULL,
                    applied_at REAL NOT NULL
                ) STRICT
                """)
        } else if try !hasMigrationsTable(connection) {
            return migrations.first
        }
        let recorded = try connection.prepare(
            "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
        ).rows { (version: $0.int(0), name: $0.string(1), checksum: $0.string(2)) }
        let newestKnown = migrations.last?.version ?? 0
        if let newest = recorded.last, newest.version > newestKnown {
            throw JobStoreError.schemaTooNew(path: connection.path,
                                             databaseVersion: newest.version,
                                             newestKnownVersion: newestKnown)
        }
        for row in recorded {
            guard let known = migrations.first(where: { $0.version == row.version }) else {
                throw JobStoreError.migrationMismatch(
                    path: connection.path, version: row.version, recorded: row.name,
                    expected: "no migration")
            }
            if known.name != row.name || known.checksum != row.checksum {
                throw JobStoreError.migrationMismatch(
                    path: connection.path, version: row.version,
                    recorded: "\(row.name) (checksum \(row.checksum.prefix(12)))",
                    expected: "\(known.fileName) (checksum \(known.checksum.prefix(12)))")
            }
        }
        let applied = Set(recorded.map(\.version))
        return migrations.first { !applied.contains($0.version) }
    }
}
