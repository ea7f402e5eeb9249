import Foundation

/// What users do to jobs after submitting them: cancel, retry, prune.
extension JobStore {
    /// Cancels a queued or running job. A daemon running it loses its lease: its heartbeat
    /// reports the job gone and its result is not written.
    @discardableResult
    public func cancel(_ reference: JobReference, now: Date = Date()) throws -> JobRecord {
        try withConnection { db in
            try db.transaction(.immediate) {
                let id = try JobStore.resolve(reference, db)
                let record = try JobStore.record(id: id, db)
                guard !record.state.isFinished else {
                    throw JobStoreError.cannotCancel(jobID: id, state: record.state)
                }
                try JobStore.finish(db, jobID: id, state: .cancelled, error: record.lastError,
                                    now: now.timeIntervalSince1970)
                return try JobStore.record(id: id, db)
            }
        }
    }

    /// Cancels every queued or running job of `batch`; returns how many.
    @discardableResult
    public func cancel(batch: String, now: Date = Date()) throws -> Int {
        try withConnection { db in
            try db.transaction(.immediate) {
                let batchID = try JobStore.batchID(named: batch, db)
                try db.prepare("""
                    UPDATE jobs
                    SET state = 'cancelled', finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
                    WHERE batch_id = ? AND state IN ('queued', 'running')
                    """).bind(.real(now.timeIntervalSince1970), .integer(batchID)).run()
                return db.changes
            }
        }
    }

    /// Puts a failed or cancelled job back in the queue with a fresh set of attempts.
    @discardableResult
    public func retry(_ reference: JobReference, now: Date = Date()) throws -> JobRecord {
        try withConnection { db in
            try db.transaction(.immediate) {
                let id = try JobStore.resolve(reference, db)
                let record = try JobStore.record(id: id, db)
                guard record.state == .failed || record.state == .cancelled else {
                    throw JobStoreError.cannotRetry(jobID: id, state: record.state)
                }
                try JobStore.requeue(db, condition: "id = ?", values: [.integer(id)],
                                     now: now.timeIntervalSince1970)
                return try JobStore.record(id: id, db)
            }
        }
    }

    /// Puts every failed job (of `batch`, or of all batches) back in the queue; returns how many.
    @discardableResult
    public func retryFailed(batch: String? = nil, now: Date = Date()) throws -> Int {
        try withConnection { db in
            try db.transaction(.immediate) {
                var condition = "state = 'failed'"
                var values: [SQLValue] = []
                if let batch {
                    condition += " AND batch_id = ?"
                    values.append(.integer(try JobStore.batchID(named: batch, db)))
                }
                try JobStore.requeue(db, condition: condition, values: values,
                                     now: now.timeIntervalSince1970)
                return db.changes
            }
        }
    }

    /// Deletes jobs in `states` (finished states only) that finished before `cutoff`, with
    /// their results, then batches left without jobs (so their files may be submitted again).
    public func prune(finishedBefore cutoff: Date,
                      states: Set<JobState> = [.succeeded, .failed, .cancelled]) throws -> PruneOutcome {
        precondition(!states.isEmpty && states.allSatisfy(\.isFinished),
                     "only finished jobs can be pruned")
        return try withConnection { db in
            try db.transaction(.immediate) {
                let ordered = states.sorted()
                let placeholders = Array(repeating: "?", count: ordered.count).joined(separator: ", ")
                try db.prepare("""
                    DELETE FROM jobs WHERE finished_at < ? AND state IN (\(placeholders))
                    """).bind([.real(cutoff.timeIntervalSince1970)] + ordered.map { .text($0.rawValue) })
                    .run()
                let jobs = db.changes
                try db.execute("""
                    DELETE FROM batches WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE batch_id = batches.id)
                    """)
                let batches = db.changes
                try db.prepare("DELETE FROM engine_samples WHERE recorded_at < ?")
                    .bind(.real(cutoff.timeIntervalSince1970)).run()
                return PruneOutcome(jobs: jobs, batches: batches)
            }
        }
    }

    /// Rewrites the file to return the space freed by `prune` to the file system. Needs free
    /// disk space about the size of the database, and blocks other writers while it runs.
    public func vacuum() throws {
        try withConnection { db in
            try db.execute("VACUUM")
            // In WAL mode the compacted pages land in the -wal file first; copy them back now so
            // the database file itself shrinks.
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    /// Back to `queued` with attempts, backoff, lease, error and result cleared.
    private static func requeue(_ db: Connection, condition: String, values: [SQLValue],
                                now: Double) throws {
        try db.prepare("DELETE FROM results WHERE job_id IN (SELECT id FROM jobs WHERE \(condition))")
            .bind(values).run()
        try db.prepare("""
            UPDATE jobs
            SET state = 'queued', attempts = 0, not_before = 0, queued_at = ?, claimed_at = NULL,
                finished_at = NULL, last_error = NULL, lease_owner = NULL, lease_expires_at = NULL
            WHERE \(condition)
            """).bind([.real(now)] + values).run()
    }
}

/// What `JobStore.prune` removed.
public struct PruneOutcome: Sendable, Equatable {
    public var jobs: Int
    public var batches: Int
}
