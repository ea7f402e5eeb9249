import Foundation

/// Where an unfinished job's generation stood at its daemon's last checkpoint (token-level
/// resume). The store keeps one per job, replaced at every checkpoint and deleted when the job
/// ends; `state` is the daemon's own encoding, which the store never reads.
public struct JobCheckpoint: Sendable, Equatable {
    public var jobID: Int64
    /// The model that generated the tokens, as the daemon identifies it.
    public var model: String
    /// Tokens generated so far, every choice together.
    public var tokens: Int
    /// Times the job had continued from a checkpoint before this one.
    public var resumes: Int
    /// The daemon's encoding of the generation state (a few bytes per token).
    public var state: [UInt8]
    /// When it was written (set by the store; ignored when writing).
    public var writtenAt: Date?

    public init(jobID: Int64, model: String, tokens: Int, resumes: Int, state: [UInt8], writtenAt: Date? = nil) {
        precondition(tokens >= 0 && resumes >= 0, "checkpoint counts cannot be negative")
        self.jobID = jobID
        self.model = model
        self.tokens = tokens
        self.resumes = resumes
        self.state = state
        self.writtenAt = writtenAt
    }

    static let selectColumns = "c.job_id, c.model, c.tokens, c.resumes, c.state, c.written_at"

    /// Reads `selectColumns` (checkpoints `c`).
    init(row: Statement) {
        self.init(jobID: row.int64(0), model: row.string(1), tokens: max(0, row.int(2)), resumes: max(0, row.int(3)),
                  state: row.blob(4), writtenAt: Date(timeIntervalSince1970: row.double(5)))
    }

    /// Replaces the job's checkpoint, only while `owner` holds the job's lease (a daemon that
    /// lost the job must not overwrite the new holder's). Returns whether it was written.
    static func write(_ checkpoint: JobCheckpoint, owner: String, now: Double, _ db: Connection) throws -> Bool {
        try db.prepare("""
            INSERT INTO checkpoints (job_id, model, tokens, resumes, state, written_at)
            SELECT id, ?, ?, ?, ?, ? FROM jobs WHERE id = ? AND state = 'running' AND lease_owner = ?
            ON CONFLICT (job_id) DO UPDATE SET
                model = excluded.model, tokens = excluded.tokens, resumes = excluded.resumes,
                state = excluded.state, written_at = excluded.written_at
            """).bind(.text(checkpoint.model), .int(checkpoint.tokens), .int(checkpoint.resumes),
                      .blob(checkpoint.state), .real(now), .integer(checkpoint.jobID), .text(owner)).run()
        return db.changes == 1
    }
}
