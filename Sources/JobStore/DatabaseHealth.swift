import Foundation

/// What `jobs doctor` finds in an existing database file. Inspecting applies no migration: it
/// only opens the file as every `jobs` command does (which turns on WAL) and reads.
public struct DatabaseHealth: Sendable, Equatable {
    /// Newest migration recorded in the file; 0 for a file no `jobs` has set up yet.
    public var schemaVersion: Int
    /// Newest migration this build knows: opening the file brings it up to this version.
    public var newestKnownVersion: Int
    /// A recorded migration that differs from this build's file of the same number; nil when
    /// every recorded migration matches (or is newer than this build, see `schemaVersion`).
    public var migrationMismatch: String?
    /// `PRAGMA journal_mode` after opening: `wal`, unless the file system cannot do WAL.
    public var journalMode: String
    /// Why the write lock cannot be taken (a read-only file or folder, a held lock); nil when
    /// the file is writable.
    public var writeProblem: String?
    /// `PRAGMA quick_check` messages; `["ok"]` for a sound file.
    public var quickCheck: [String]
    /// Rows whose foreign key names a missing row (`PRAGMA foreign_key_check`), as (table,
    /// rowid, parent table): only editing the file by hand with foreign keys off leaves them, and
    /// a migration that rebuilds a table refuses to commit over them.
    public var danglingReferences: [DanglingReference] = []
    /// Pages in use times the page size, in bytes (the `-wal` file not included).
    public var databaseBytes: Int

    public var isSchemaTooNew: Bool { schemaVersion > newestKnownVersion }
    public var isIntact: Bool { quickCheck == ["ok"] }
}

extension JobStore {
    /// Inspects the database at `path`, which must exist. Throws `JobStoreError.sqlite` when
    /// the file cannot be opened at all (not a database, unreadable). A lock held longer than
    /// `busyTimeout` (seconds) is reported as the `writeProblem`.
    public static func inspect(path: String, busyTimeout: TimeInterval = 2) throws -> DatabaseHealth {
        guard FileManager.default.fileExists(atPath: path) else { throw JobStoreError.databaseMissing(path: path) }
        do {
            let db = try Connection(path: path, create: false, busyTimeoutMilliseconds: Int(busyTimeout * 1000))
            let known = Migration.embedded
            let hasTable = try Migrator.hasMigrationsTable(db)
            let recorded = hasTable ? try db.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
                .rows { (version: $0.int(0), name: $0.string(1), checksum: $0.string(2)) } : []
            var mismatch: String?
            for row in recorded {
                guard let migration = known.first(where: { $0.version == row.version }) else { continue }
                if migration.name != row.name || migration.checksum != row.checksum {
                    mismatch = "migration \(row.version) is recorded as \(row.name) (checksum \(row.checksum.prefix(12))), "
                        + "but this build has \(migration.fileName) (checksum \(migration.checksum.prefix(12)))"
                    break
                }
            }
            let journalMode = try db.prepare("PRAGMA journal_mode").firstRow { $0.string(0) } ?? "unknown"
            var writeProblem: String?
            do {
                // Taking the write lock and letting go changes nothing, but fails on a
                // read-only file, folder or mount, and on a lock held past the busy timeout.
                try db.transaction(.immediate) {}
            } catch let error as SQLiteError {
                writeProblem = error.description
            }
            let quickCheck = try db.prepare("PRAGMA quick_check").rows { $0.string(0) }
            let dangling = try DanglingReference.all(db)
            let pages = try db.prepare("PRAGMA page_count").firstRow { $0.int(0) } ?? 0
            let pageSize = try db.prepare("PRAGMA page_size").firstRow { $0.int(0) } ?? 0
            return DatabaseHealth(schemaVersion: recorded.last?.version ?? 0,
                                  newestKnownVersion: known.last?.version ?? 0,
                                  migrationMismatch: mismatch, journalMode: journalMode,
                                  writeProblem: writeProblem, quickCheck: quickCheck,
                                  danglingReferences: dangling, databaseBytes: pages * pageSize)
        } catch let error as SQLiteError {
            throw JobStoreError.sqlite(error)
        }
    }
}

/// A row whose foreign key names a row of `parent` that does not exist.
public struct DanglingReference: Sendable, Equatable, CustomStringConvertible {
    public var table: String
    public var rowID: Int64
    public var parent: String

    /// `jobs row 7 -> batches`
    public var description: String { "\(table) row \(rowID) -> \(parent)" }

    /// Every such row of the file (`PRAGMA foreign_key_check`).
    static func all(_ db: Connection) throws -> [DanglingReference] {
        try db.prepare("PRAGMA foreign_key_check")
            .rows { DanglingReference(table: $0.string(0), rowID: $0.int64(1), parent: $0.string(2)) }
    }
}
