import Foundation

/// When and how fast one finished job ran: the per-job series behind `jobs report` (latency
/// histograms, and throughput over time when no engine samples were recorded).
public struct FinishedJobTiming: Sendable, Equatable {
    public var jobID: Int64
    /// Succeeded or failed (cancelled jobs never ran to the end and are left out).
    public var state: JobState
    /// Start of the last attempt; nil for a job that failed before any daemon claimed it.
    public var claimedAt: Date?
    public var finishedAt: Date
    /// Zero unless the job succeeded.
    public var completionTokens: Int
    /// Seconds, as in `results`; nil unless the job succeeded.
    public var queueWait: Double?
    public var timeToFirstToken: Double?
    public var total: Double?

    public init(jobID: Int64, state: JobState, claimedAt: Date?, finishedAt: Date, completionTokens: Int,
                queueWait: Double?, timeToFirstToken: Double?, total: Double?) {
        self.jobID = jobID
        self.state = state
        self.claimedAt = claimedAt
        self.finishedAt = finishedAt
        self.completionTokens = completionTokens
        self.queueWait = queueWait
        self.timeToFirstToken = timeToFirstToken
        self.total = total
    }
}

extension JobStore {
    /// Every succeeded or failed job of `batch` (all batches when nil), in finish order. About
    /// 100 bytes per job in memory, so a night of 100,000 jobs stays around 10 MB.
    public func finishedJobTimings(batch: String? = nil) throws -> [FinishedJobTiming] {
        try withConnection { db in
            try db.transaction(.deferred) {
                let batchID = try batch.map { try JobStore.batchID(named: $0, db) }
                return try db.prepare("""
                    SELECT j.id, j.state, j.claimed_at, j.finished_at, r.completion_tokens,
                           r.queue_wait_seconds, r.time_to_first_token_seconds, r.total_seconds
                    FROM jobs j LEFT JOIN results r ON r.job_id = j.id
                    WHERE j.state IN ('succeeded', 'failed') AND j.finished_at IS NOT NULL
                    \(batchID == nil ? "" : "AND j.batch_id = ?")
                    ORDER BY j.finished_at, j.id
                    """).bind(batchID.map { [.integer($0)] } ?? []).rows { row in
                    FinishedJobTiming(
                        jobID: row.int64(0), state: JobState(rawValue: row.string(1)) ?? .failed,
                        claimedAt: row.optionalDouble(2).map(Date.init(timeIntervalSince1970:)),
                        finishedAt: Date(timeIntervalSince1970: row.double(3)),
                        completionTokens: row.isNull(4) ? 0 : row.int(4),
                        queueWait: row.optionalDouble(5), timeToFirstToken: row.optionalDouble(6),
                        total: row.optionalDouble(7))
                }
            }
        }
    }
}
