import CSQLite
import Glibc

/// One open SQLite database handle. It owns the handle (closed in `deinit`), is not thread-safe
/// on its own (it is opened with `SQLITE_OPEN_NOMUTEX`), and is used by exactly one `JobStore`,
/// which serializes access.
final class Connection {
    let path: String
    let busyTimeoutMilliseconds: Int
    private var handle: OpaquePointer

    /// Opens (creating if asked) the database at `path` and sets the pragmas every connection
    /// needs: `busy_timeout` first (switching to WAL takes a lock), then WAL, foreign keys and
    /// `synchronous=NORMAL` (durable across process crashes; a power cut may lose the last
    /// transactions, never corrupt the file).
    ///
    /// A new file is created by us with mode 0600 before SQLite opens it: SQLite copies the
    /// database file's permissions to its `-wal` and `-shm` files, so none of them is readable
    /// by other users.
    ///
    /// `readOnly` opens the file for reading only (the queries of `jobs list`, `stats`, ...):
    /// such a connection never takes the write lock, so a writer never stops it (WAL), and it
    /// works on a read-only file, folder or mount, and on a full disk. Where SQLite cannot
    /// create the `-shm` file WAL readers share (a read-only folder, no space left) and the
    /// `-wal` file is absent or empty, the database file holds every committed transaction and
    /// no writer can commit another (it would need the `-shm` file too): it is read as
    /// immutable.
    init(path: String, create: Bool, readOnly: Bool = false, busyTimeoutMilliseconds: Int) throws {
        precondition(!(create && readOnly), "a read-only connection cannot create its file")
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        if create { try Connection.createOwnerOnlyFile(path) }

        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX
            | SQLITE_OPEN_EXRESCODE | (create ? SQLITE_OPEN_CREATE : 0)
        handle = try Connection.openHandle(path, flags: flags, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        if readOnly {
            do {
                // SQLite opens lazily: the first read is what finds out whether WAL works here.
                try execute("SELECT count(*) FROM sqlite_schema")
            } catch let error as SQLiteError where (Connection.isUnwritableFolder(error, path: path)
                                                    || error.extendedCode == SQLiteError.ioErrorShmSize)
                        && Connection.hasNoCommittedWAL(path) {
                // Once every stored property is set, a throwing initializer still runs
                // `deinit`, which closes `handle`: it must never hold a closed handle.
                let unusable = handle
                handle = try Connection.openHandle(Connection.immutableURI(path), flags: flags | SQLITE_OPEN_URI,
                                                   busyTimeoutMilliseconds: busyTimeoutMilliseconds, reportedPath: path)
                sqlite3_close_v2(unusable)
            }
        } else {
            // SQLite falls back to reading a file it may not write, silently; and in a folder
            // it may not write it cannot create the -wal and -shm files. Say so at once,
            // naming the file, instead of at the first write.
            // (`deinit` closes the handle when the initializer throws from here on.)
            if isReadOnly { throw JobStoreError.readOnlyDatabase(path: path) }
            do {
                try execute("PRAGMA journal_mode = WAL")
            } catch let error as SQLiteError where Connection.isUnwritableFolder(error, path: path) {
                throw JobStoreError.readOnlyDatabase(path: path)
            }
        }
        try execute("PRAGMA foreign_keys = ON")
        try execute("PRAGMA synchronous = NORMAL")
        // 32 MiB of page cache (default 2 MiB): a 100,000-job submit then fits in memory
        // instead of spilling pages to the WAL mid-transaction.
        try execute("PRAGMA cache_size = -32768")
    }

    private static func openHandle(_ name: String, flags: Int32, busyTimeoutMilliseconds: Int,
                             reportedPath: String? = nil) throws -> OpaquePointer {
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(name, &handle, flags, nil)
        let path = reportedPath ?? name
        guard let handle else {
            throw SQLiteError(extendedCode: rc, message: "out of memory", sql: nil, path: path,
                              busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        }
        guard rc == SQLITE_OK else {
            let error = SQLiteError(extendedCode: sqlite3_extended_errcode(handle),
                                    message: String(cString: sqlite3_errmsg(handle)), sql: nil,
                                    path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            sqlite3_close_v2(handle)
            throw error
        }
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, Int32(clamping: busyTimeoutMilliseconds))
        return handle
    }

    /// `file:PATH?immutable=1`, with the characters URIs reserve escaped (RFC 3986, as SQLite
    /// reads it: https://sqlite.org/uri.html).
    static func immutableURI(_ path: String) -> String {
        var escaped = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "%"), UInt8(ascii: "?"), UInt8(ascii: "#"), 0...0x20, 0x7f...0xff:
                escaped += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            default:
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return "file:\(escaped)?immutable=1"
    }

    /// Whether `error` is SQLite failing to create the `-shm` (or `-wal`) file in a folder
    /// this process may not write: it says "unable to open" or "readonly", depending on the
    /// version and on how the folder refuses (mode or read-only mount).
    private static func isUnwritableFolder(_ error: SQLiteError, path: String) -> Bool {
        (error.primaryCode == SQLITE_CANTOPEN || error.primaryCode == SQLITE_READONLY)
            && access(folder(of: path), W_OK) != 0
    }

    /// No `-wal` file, or an empty one (a writer that failed on a full disk leaves it so): the
    /// database file alone holds every committed transaction.
    private static func hasNoCommittedWAL(_ path: String) -> Bool {
        var status = stat()
        return stat(path + "-wal", &status) != 0 || status.st_size == 0
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Whether the file was opened for reading only: asked for, or the file or its folder is
    /// read-only and SQLite fell back to reading.
    var isReadOnly: Bool { sqlite3_db_readonly(handle, "main") == 1 }

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

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
