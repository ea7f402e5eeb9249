import Foundation

/// One row of the jobs table, as `jobs list` and `jobs show` present it.
public struct JobRecord: Sendable, Equatable {
    public var id: Int64
    public var batchID: Int64
    public var batchName: String
    public var customID: String
    /// Line of the submitted file.
    public var line: Int
    public var priority: Int
    public var state: JobState
    public var attempts: Int
    public var maxAttempts: Int
    /// Backoff: not claimable before this time (nil when there is none).
    public var notBefore: Date?
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var createdAt: Date
    public var queuedAt: Date
    public var claimedAt: Date?
    public var finishedAt: Date?
    public var lastError: String?
    public var kind: JobKind
    /// The request as submitted (`SubmittedJob.request`), for the request format to read.
    public var request: String
    public var requestHash: String

    /// `BATCH/CUSTOM_ID`, the unambiguous textual name of the job.
    public var qualifiedName: String { "\(batchName)/\(customID)" }

    static let selectColumns = """
        j.id, j.batch_id, b.name, j.custom_id, j.line, j.priority, j.state, j.attempts,
        j.max_attempts, j.not_before, j.lease_owner, j.lease_expires_at, j.created_at,
        j.queued_at, j.claimed_at, j.finished_at, j.last_error, j.request, j.request_hash, j.kind
        """

    /// Reads the columns of `selectColumns` (jobs `j` joined with batches `b`).
    init(row: Statement) {
        id = row.int64(0)
        batchID = row.int64(1)
        batchName = row.string(2)
        customID = row.string(3)
        line = row.int(4)
        priority = row.int(5)
        state = JobState(rawValue: row.string(6)) ?? .failed
        attempts = row.int(7)
        maxAttempts = row.int(8)
        let notBefore = row.double(9)
        self.notBefore = notBefore > 0 ? Date(timeIntervalSince1970: notBefore) : nil
        leaseOwner = row.optionalString(10)
        leaseExpiresAt = row.optionalDouble(11).map(Date.init(timeIntervalSince1970:))
        createdAt = Date(timeIntervalSince1970: row.double(12))
        queuedAt = Date(timeIntervalSince1970: row.double(13))
        claimedAt = row.optionalDouble(14).map(Date.init(timeIntervalSince1970:))
        finishedAt = row.optionalDouble(15).map(Date.init(timeIntervalSince1970:))
        lastError = row.optionalString(16)
        request = row.string(17)
        requestHash = row.string(18)
        kind = JobKind(rawValue: row.string(19)) ?? .completion
    }
}

/// A page of `JobStore.list`: the first jobs that match, and how many match in all.
public struct JobList: Sendable {
    public var jobs: [JobRecord]
    public var totalMatching: Int
}
