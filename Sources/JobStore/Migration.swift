/// One schema change: a numbered SQL file from `Migrations/` (`NNN_name.sql`), compiled into the
/// binary (`Migration.embedded`) so `jobs` and `jobsd` work from any directory.
struct Migration: Sendable {
    let version: Int
    /// `create_queue` for `001_create_queue.sql`.
    let name: String
    let fileName: String
    let sql: String

    /// SHA-256 of the SQL: a database records it, so a migration edited after release is caught.
    var checksum: String { SHA256.hex(sql) }

    init(fileName: String, sql: String) {
        let stem = fileName.hasSuffix(".sql") ? String(fileName.dropLast(4)) : fileName
        let parts = stem.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, let version = Int(parts[0]), version > 0 else {
            preconditionFailure("migration file \(fileName) is not named NNN_name.sql")
        }
        self.version = version
        self.name = String(parts[1])
        self.fileName = fileName
        self.sql = sql
    }
}
