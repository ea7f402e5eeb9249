import Foundation

/// The persistent job queue: one SQLite file holding batches, jobs and results.
///
/// ```swift
/// let store = try JobStore(path: "/var/lib/jobs/jobs.db")
/// let jobs = try store.claim(limit: 8, owner: "jobsd@host:1234", lease: 60)
/// // ... generate, renewing the leases every few seconds ...
/// try store.renewLeases(owner: "jobsd@host:1234", jobIDs: jobs.map(\.id), lease: 60)
/// let written = try store.complete(jobID: jobs[0].id, owner: "jobsd@host:1234", result: result)
/// ```
///
/// Several processes (daemons, `jobs` commands) may open the same file: writes take the
/// database lock with `BEGIN IMMEDIATE` and wait up to `busyTimeout` for it; reads (WAL mode)
/// never wait for a writer. Within a process
/// one `JobStore` may be shared between threads; its operations run one at a time.
///
/// Every operation is one transaction. Times are `Date`s in the API and Unix seconds in the
/// file; `now` parameters exist so tests can move the clock.
///
/// The operations are grouped by caller: submit (this file), leases (the daemon), queries and
/// administration (the `jobs` commands). SQL never leaves this module, so a PostgreSQL store
/// would be a second implementation of the same operations.
public final class JobStore: @unchecked Sendable {
    public let path: String
    public let retryPolicy: RetryPolicy
    // Guarded by `lock`: a connection is not thread-safe (opened with SQLITE_OPEN_NOMUTEX).
    private let connection: Connection
    private let lock = NSLock()

    /// How long one operation waits for a lock another process holds before it fails with
    /// `JobStoreError.sqlite` (`isBusy`): generous, because a writer that waits a minute
    /// behind a long transaction (a 100,000-job submit, `jobs prune --vacuum`) is better than
    /// one that fails. SQLite retries with its own backoff (1 ms growing to 100 ms) meanwhile.
    public static let defaultBusyTimeout: TimeInterval = 60

    /// What a store may do with its file.
    public enum Access: Sendable {
        /// Read and write (the default): submit, claim, complete, cancel, ...
        case readWrite
        /// Queries only: never takes the write lock, so a writer never stops it (WAL mode),
        /// and works on a read-only file, folder or mount. Writes fail with
        /// `JobStoreError.sqlite` (read-only).
        case readOnly
    }

    /// Opens the database at `path`, creating it (mode 0600) when `createIfMissing`, and
    /// applies any migrations it lacks. Fails with `schemaTooNew` for a file written by a newer
    /// `jobs`, and with `databaseMissing` when the file is absent and may not be created.
    ///
    /// An up-to-date file is opened without the write lock. A `readWrite` store on a file that
    /// cannot be written fails with `readOnlyDatabase`. A `readOnly` store upgrades an
    /// older file through a second, writing connection, which fails (saying the file is
    /// read-only) where the file cannot be written.
    public init(path: String, createIfMissing: Bool = true, access: Access = .readWrite,
                busyTimeout: TimeInterval = JobStore.defaultBusyTimeout,
                retryPolicy: RetryPolicy = .default, now: Date = Date()) throws {
        precondition(!(createIfMissing && access == .readOnly), "a read-only store cannot create its file")
        if !createIfMissing, !FileManager.default.fileExists(atPath: path) {
            throw JobStoreError.databaseMissing(path: path)
        }
        self.path = path
        self.retryPolicy = retryPolicy
        let milliseconds = Int((busyTimeout * 1000).rounded())
        do {
            connection = try Connection(path: path, create: createIfMissing, readOnly: access == .readOnly,
                                        busyTimeoutMilliseconds: milliseconds)
            // SQLite opens a file it may not write for reading, silently: say so now, before
            // a command does its work, rather than at its first write.
            if access == .readWrite, connection.isReadOnly { throw JobStoreError.readOnlyDatabase(path: path) }
            if try !Migrator.isUpToDate(connection) {
                var writer = connection
                if access == .readOnly {
                    do {
                        writer = try Connection(path: path, create: false, busyTimeoutMilliseconds: milliseconds)
                    } catch JobStoreError.readOnlyDatabase {
                        // "Commands that only read work as it is" would be wrong here.
                        throw JobStoreError.upgradeNeedsWriting(
                            path: path, databaseVersion: try Migrator.recordedVersion(connection),
                            newestKnownVersion: Migration.embedded.last?.version ?? 0)
                    }
                }
                try Migrator.migrate(writer, now: now)
            }
        } catch let error as SQLiteError {
            throw JobStoreError.sqlite(error)
        }
    }

    /// Runs `body` with exclusive use of the connection; SQLite errors become
    /// `JobStoreError.sqlite`.
    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try body(connection)
        } catch let error as SQLiteError {
            throw JobStoreError.sqlite(error)
        }
    }

    // MARK: Submit

    /// Inserts a batch and all its jobs in one transaction, or nothing when the submission
    /// repeats an earlier one (`earlierSubmission`): running the same submit twice queues once.
    /// Throws `batchNameTaken` when the name holds another file's content.
    public func submit(_ submission: BatchSubmission, now: Date = Date()) throws -> SubmitOutcome {
        guard !submission.jobs.isEmpty else { throw JobStoreError.emptySubmission }
        if let name = submission.name, !BatchName.isValid(name) {
            throw JobStoreError.invalidBatchName(name: name)
        }
        let time = now.timeIntervalSince1970
        return try withConnection { db in
            try db.transaction(.immediate) {
                if let existing = try JobStore.earlierSubmission(sha256: submission.sha256,
                                                                 name: submission.name, db) {
                    return .alreadySubmitted(existing)
                }
                let name = try JobStore.batchName(for: submission, db)
                try db.prepare("""
                    INSERT INTO batches (name, source, sha256, created_at, job_count, skipped_count)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """).bind(.text(name), .text(submission.source), .text(submission.sha256),
                              .real(time), .int(submission.jobs.count),
                              .int(submission.skippedLineCount)).run()
                let batchID = db.lastInsertRowID
                let insert = try db.prepare("""
                    INSERT INTO jobs (batch_id, custom_id, line, priority, max_attempts,
                                      created_at, queued_at, kind, request, request_hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for job in submission.jobs {
                    try insert.bind(.integer(batchID), .text(job.customID), .int(job.line),
                                    .int(submission.priority), .int(submission.maxAttempts),
                                    .real(time), .real(time), .text(job.kind.rawValue),
                                    .text(job.request), .text(SHA256.hex(job.request))).run()
                }
                return .inserted(BatchInfo(
                    id: batchID, name: name, source: submission.source,
                    sha256: submission.sha256, createdAt: Date(timeIntervalSince1970: time),
                    jobCount: submission.jobs.count, skippedCount: submission.skippedLineCount))
            }
        }
    }

    /// The batch a submission of this content under this name repeats, if any, so `jobs submit`
    /// can skip validating a file it has seen. Named: the batch of that name, if it holds the
    /// same content (a new name queues the content again: a nightly file may equal last
    /// night's). Unnamed: the latest batch of the same content.
    public func earlierSubmission(sha256: String, name: String?) throws -> BatchInfo? {
        try withConnection { try JobStore.earlierSubmission(sha256: sha256, name: name, $0) }
    }

    /// The latest batch of a file digest, if any.
    public func batch(sha256: String) throws -> BatchInfo? {
        try withConnection { try JobStore.batch(sha256: sha256, $0) }
    }

    public func batch(named name: String) throws -> BatchInfo? {
        try withConnection { db in
            try db.prepare("SELECT \(BatchInfo.selectColumns) FROM batches b WHERE b.name = ?")
                .bind(.text(name)).firstRow { BatchInfo(row: $0) }
        }
    }

    /// Every batch, oldest first.
    public func batches() throws -> [BatchInfo] {
        try withConnection { db in
            try db.prepare("SELECT \(BatchInfo.selectColumns) FROM batches b ORDER BY b.id")
                .rows { BatchInfo(row: $0) }
        }
    }

    /// Names of the other batches whose name differs from `name` only by letter case, newest
    /// first. Batch names are ASCII (`BatchName`), so SQLite's NOCASE (ASCII folding) finds every
    /// one.
    public func batchNames(differingOnlyInCaseFrom name: String) throws -> [String] {
        try withConnection { try Self.batchNames(differingOnlyInCaseFrom: name, holding: nil, $0) }
    }

    /// As the public form; with `customID`, only the batches that hold a job with that custom id.
    static func batchNames(differingOnlyInCaseFrom name: String, holding customID: String?,
                           _ db: Connection) throws -> [String] {
        try db.prepare("""
            SELECT b.name FROM batches b
            WHERE b.name = ?1 COLLATE NOCASE AND b.name != ?1
              AND (?2 IS NULL OR EXISTS (SELECT 1 FROM jobs j WHERE j.batch_id = b.id AND j.custom_id = ?2))
            ORDER BY b.id DESC
            """).bind(.text(name), customID.map { .text($0) } ?? .null).rows { $0.string(0) }
    }

    static func batch(sha256: String, _ db: Connection) throws -> BatchInfo? {
        try db.prepare("SELECT \(BatchInfo.selectColumns) FROM batches b WHERE b.sha256 = ? ORDER BY b.id DESC LIMIT 1")
            .bind(.text(sha256)).firstRow { BatchInfo(row: $0) }
    }

    static func earlierSubmission(sha256: String, name: String?, _ db: Connection) throws -> BatchInfo? {
        guard let name else { return try batch(sha256: sha256, db) }
        return try db.prepare("SELECT \(BatchInfo.selectColumns) FROM batches b WHERE b.name = ? AND b.sha256 = ?")
            .bind(.text(name), .text(sha256)).firstRow { BatchInfo(row: $0) }
    }

    /// The requested name if free, else the derived name, suffixed `-2`, `-3`, ... until free.
    private static func batchName(for submission: BatchSubmission, _ db: Connection) throws -> String {
        let exists = try db.prepare("SELECT 1 FROM batches WHERE name = ?")
        func isTaken(_ name: String) throws -> Bool {
            try exists.bind(.text(name)).firstRow { _ in true } ?? false
        }
        if let name = submission.name {
            guard try !isTaken(name) else { throw JobStoreError.batchNameTaken(name: name) }
            return name
        }
        let base = BatchName.derived(fromSource: submission.source)
        var candidate = base
        var suffix = 1
        while try isTaken(candidate) {
            suffix += 1
            candidate = "\(base)-\(suffix)"
        }
        return candidate
    }

    /// The id of the batch called `name`, or `unknownBatch` listing the known names and those that
    /// differ from `name` only by case.
    static func batchID(named name: String, _ db: Connection) throws -> Int64 {
        if let id = try db.prepare("SELECT id FROM batches WHERE name = ?").bind(.text(name))
            .firstRow({ $0.int64(0) }) {
            return id
        }
        let known = try db.prepare("SELECT name FROM batches ORDER BY id DESC LIMIT 11")
            .rows { $0.string(0) }
        throw JobStoreError.unknownBatch(name: name, known: known,
                                         differingInCase: try batchNames(differingOnlyInCaseFrom: name, holding: nil, db))
    }
}
