import CSQLite

/// A failed SQLite call: the result codes SQLite returned, its message, and the statement that
/// was running. The description turns the common operational failures (a lock held by another
/// process, a read-only file, a full disk) into advice a user can act on.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The extended result code (e.g. `SQLITE_BUSY_SNAPSHOT`); `primaryCode` is its low byte.
    public let extendedCode: Int32
    public let message: String
    /// The SQL that failed, when a statement was involved.
    public let sql: String?
    /// The database file, for messages about files and folders.
    public let path: String
    /// The `busy_timeout` in force, quoted in lock messages (milliseconds).
    public let busyTimeoutMilliseconds: Int

    public var primaryCode: Int32 { extendedCode & 0xff }

    /// `SQLITE_IOERR_SHMSIZE` (sqlite3.h: `SQLITE_IOERR | (19<<8)`; a C macro Swift does not
    /// import): the `-shm` file could not be grown, on Linux because the disk is full.
    static let ioErrorShmSize: Int32 = SQLITE_IOERR | (19 << 8)

    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// The busy timeout as a person reads it: `50 ms`, `1.5 s`, `60 s`.
    private var waited: String {
        let milliseconds = busyTimeoutMilliseconds
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(Double(milliseconds) / 1000) s"
    }

    public var description: String {
        switch primaryCode {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return "database \(path) is locked by another process (\(message); waited \(waited) for it); "
                + "retry later, or wait longer with --busy-timeout SECONDS or JOBS_BUSY_TIMEOUT"
        case SQLITE_READONLY:
            return "database \(path) is read-only (\(message)): make the file and its folder "
                + "writable (SQLite creates \(path)-wal and \(path)-shm next to it)"
        case SQLITE_CANTOPEN:
            return "cannot open database \(path) (\(message)): check that its folder exists "
                + "and is writable"
        case SQLITE_FULL:
            return "disk full while writing database \(path) (\(message)); free some space "
                + "and retry"
        case SQLITE_IOERR where extendedCode == SQLiteError.ioErrorShmSize:
            return "disk full while writing database \(path) (no room for \(path)-shm, the shared-memory "
                + "index SQLite keeps beside it); free some space and retry"
        case SQLITE_IOERR:
            return "I/O error on database \(path) (\(message), code \(extendedCode)); check the "
                + "disk and the file system"
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return "\(path) is not a jobs database or is damaged (\(message))"
        case SQLITE_PERM, SQLITE_AUTH:
            return "permission denied on database \(path) (\(message))"
        default:
            var text = "SQLite error \(extendedCode) on \(path): \(message)"
            if let sql { text += " (while running: \(sql))" }
            return text
        }
    }
}
