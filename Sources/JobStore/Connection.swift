import CSQLite
import Glibc

/// One open SQLite database handle. It owns the handle (closed in `deinit`), is not thread-safe
/// on its own (it is opened with `SQLITE_OPEN_NOMUTEX`), and is used by exactly one `JobStore`,
/// which serializes access.
final class Connection {
    let path: String
    let busyTimeoutMilliseconds: Int
    private let handle: OpaquePointer

    /// Opens (creating if asked) the database at `path` and sets the pragmas every connection
    /// needs: `busy_timeout` first (switching to WAL takes a lock), then WAL, foreign keys and
    /// `synchronous=NORMAL` (durable across process crashes; a power cut may lose the last
    /// transactions, never corrupt the file).
    ///
    /// A new file is created by us with mode 0600 before SQLite opens it: SQLite copies the
    /// database file's permissions to its `-wal` and `-shm` files, so none of them is readable
    /// by other users.
    init(path: String, create: Bool, busyTimeoutMilliseconds: Int) throws {
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        if create { try Connection.createOwnerOnlyFile(path) }

        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
            | (create ? SQLITE_OPEN_CREATE : 0)
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard let handle else {
            throw SQLiteError(extendedCode: rc, message: "out of memory", sql: nil, path: path,
                              busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        }
        self.handle = handle
        guard rc == SQLITE_OK else {
            let error = self.error(code: rc, sql: nil)
            sqlite3_close_v2(handle)
            throw error
        }
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, Int32(clamping: busyTimeoutMilliseconds))
        try execute("PRAGMA journal_mode = WAL")
        try execute("PRAGMA foreign_keys = ON")
        try execute("PRAGMA synchronous = NORMAL")
        // 32 MiB of page cache (default 2 MiB): a 100,000-job submit then fits in memory
        // instead of spilling pages to the WAL mid-transaction.
        try execute("PRAGMA cache_size = -32768")
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that take no parameters (pragmas, migrations).
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) }
            sqlite3_free(message)
            throw SQLiteError(extendedCode: sqlite3_extended_errcode(handle),
                              message: text ?? String(cString: sqlite3_errstr(rc)), sql: sql,
                              path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        }
    }

    /// Compiles one statement. Values are always bound through `Statement`, never spliced in.
    func prepare(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, 0, &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(code: rc, sql: sql) }
        return Statement(statement, sql: sql, connection: self)
    }

    enum TransactionKind: String {
        /// Takes the write lock at `BEGIN`, so a read-then-write transaction never fails
        /// half-way with `SQLITE_BUSY_SNAPSHOT`; waits up to `busy_timeout` for it.
        case immediate = "BEGIN IMMEDIATE"
        /// Read-only work: a consistent snapshot without blocking writers (WAL).
        case deferred = "BEGIN DEFERRED"
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        try execute(kind.rawValue)
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last INSERT/UPDATE/DELETE.
    var changes: Int { Int(sqlite3_changes64(handle)) }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    func error(code: Int32, sql: String?) -> SQLiteError {
        let extended = sqlite3_extended_errcode(handle)
        // The handle's last error may belong to an earlier call when `code` is a fresh failure
        // reported without touching it (e.g. a misuse); trust the code we were given then.
        let useHandle = (extended & 0xff) == (code & 0xff)
        return SQLiteError(extendedCode: useHandle ? extended : code,
                           message: useHandle ? String(cString: sqlite3_errmsg(handle))
                                              : String(cString: sqlite3_errstr(code)),
                           sql: sql, path: path,
                           busyTimeoutMilliseconds: busyTimeoutMilliseconds)
    }

    /// Creates `path` readable and writable by its owner only, unless it already exists.
    private static func createOwnerOnlyFile(_ path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
            return
        }
        let code = errno
        if code == EEXIST { return }
        throw JobStoreError.cannotCreateDatabase(path: path, reason: String(cString: strerror(code)))
    }
}
