import Foundation

/// Read-only views for the `jobs` commands: single jobs, lists, counts, statistics and the
/// results export.
extension JobStore {
    /// The job a user named (see `JobReference`).
    public func job(_ reference: JobReference) throws -> JobRecord {
        try withConnection { db in
            let id = try JobStore.resolve(reference, db)
            return try JobStore.record(id: id, db)
        }
    }

    /// The finished job's result line data; nil while the job is queued or running.
    /// The job's checkpoint (token-level resume), if its daemon wrote one and the job has not
    /// ended.
    public func checkpoint(jobID: Int64) throws -> JobCheckpoint? {
        try withConnection { db in
            try db.prepare("SELECT \(JobCheckpoint.selectColumns) FROM checkpoints c WHERE c.job_id = ?")
                .bind(.integer(jobID)).firstRow(JobCheckpoint.init)
        }
    }

    public func result(jobID: Int64) throws -> ResultRecord? {
        try withConnection { db in
            try db.prepare("""
                SELECT \(ResultRecord.selectColumns)
                FROM jobs j JOIN batches b ON b.id = j.batch_id LEFT JOIN results r ON r.job_id = j.id
                WHERE j.id = ? AND j.state IN ('succeeded', 'failed', 'cancelled')
                """).bind(.integer(jobID)).firstRow { ResultRecord(row: $0) }
        }
    }

    /// The first `limit` jobs (by id) in `state` and `batch` when given, and how many match.
    public func list(state: JobState? = nil, batch: String? = nil, limit: Int) throws -> JobList {
        precondition(limit >= 0)
        return try withConnection { db in
            try db.transaction(.deferred) {
                var conditions: [String] = []
                var values: [SQLValue] = []
                if let state {
                    conditions.append("j.state = ?")
                    values.append(.text(state.rawValue))
                }
                if let batch {
                    conditions.append("j.batch_id = ?")
                    values.append(.integer(try JobStore.batchID(named: batch, db)))
                }
                let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
                let total = try db.prepare("SELECT count(*) FROM jobs j \(filter)").bind(values)
                    .firstRow { $0.int(0) } ?? 0
                // The newest `limit`, shown oldest first: what a user looks for is usually recent.
                let jobs = try db.prepare("""
                    SELECT \(JobRecord.selectColumns)
                    FROM jobs j JOIN batches b ON b.id = j.batch_id
                    \(filter) ORDER BY j.id DESC LIMIT ?
                    """).bind(values + [.int(limit)]).rows { JobRecord(row: $0) }
                return JobList(jobs: jobs.reversed(), totalMatching: total)
            }
        }
    }

    /// Jobs per state in `batch` (all batches when nil), the tokens generated so far, and the
    /// running jobs whose lease expired before `now`.
    public func counts(batch: String? = nil, now: Date = Date()) throws -> JobCounts {
        try withConnection { db in
            try db.transaction(.deferred) {
                let batchID = try batch.map { try JobStore.batchID(named: $0, db) }
                var counts = try JobStore.counts(batchID: batchID, db)
                counts.expiredLeases = try db.prepare("""
                    SELECT count(*) FROM jobs
                    WHERE state = 'running' AND lease_expires_at <= ? \(batchID == nil ? "" : "AND batch_id = ?")
                    """).bind([.real(now.timeIntervalSince1970)] + (batchID.map { [.integer($0)] } ?? []))
                    .firstRow { $0.int(0) } ?? 0
                return counts
            }
        }
    }

    /// Counts, throughput and latency percentiles for `batch` (all batches when nil).
    public func stats(batch: String? = nil) throws -> QueueStats {
        try withConnection { db in
            try db.transaction(.deferred) {
                let batchID = try batch.map { try JobStore.batchID(named: $0, db) }
                let counts = try JobStore.counts(batchID: batchID, db)
                let batchFilter = batchID == nil ? "" : "AND j.batch_id = ?"
                let batchValue: [SQLValue] = batchID.map { [.integer($0)] } ?? []

                let span = try db.prepare("""
                    SELECT min(j.claimed_at), max(j.finished_at)
                    FROM jobs j WHERE j.state IN ('succeeded', 'failed') \(batchFilter)
                    """).bind(batchValue).firstRow { ($0.optionalDouble(0), $0.optionalDouble(1)) }
                var stats = QueueStats(counts: counts)
                if case let (start?, end?)? = span {
                    let window = max(end - start, 0)
                    stats.window = window
                    if window > 0 {
                        stats.jobsPerMinute = Double(counts.succeeded + counts.failed) / window * 60
                        stats.tokensPerSecond = Double(counts.completionTokens) / window
                    }
                }
                func percentiles(_ column: String) throws -> Percentiles? {
                    let sorted = try db.prepare("""
                        SELECT r.\(column) FROM results r JOIN jobs j ON j.id = r.job_id
                        WHERE j.state = 'succeeded' \(batchFilter) ORDER BY r.\(column)
                        """).bind(batchValue).rows { $0.double(0) }
                    return Percentiles(sorted: sorted)
                }
                stats.queueWait = try percentiles("queue_wait_seconds")
                stats.timeToFirstToken = try percentiles("time_to_first_token_seconds")
                stats.totalTime = try percentiles("total_seconds")
                return stats
            }
        }
    }

    /// Calls `body` with each finished job of `batch` (all batches when nil) in id order,
    /// reading one row at a time from a single snapshot: memory stays flat however many
    /// results there are. Holds this store's lock until done: `body` must not call back into
    /// this store (open a second `JobStore` for that).
    public func resultsStream(batch: String? = nil, body: (ResultRecord) throws -> Void) throws {
        try withConnection { db in
            try db.transaction(.deferred) {
                let batchID = try batch.map { try JobStore.batchID(named: $0, db) }
                let statement = try db.prepare("""
                    SELECT \(ResultRecord.selectColumns)
                    FROM jobs j JOIN batches b ON b.id = j.batch_id LEFT JOIN results r ON r.job_id = j.id
                    WHERE j.state IN ('succeeded', 'failed', 'cancelled')
                    \(batchID == nil ? "" : "AND j.batch_id = ?")
                    ORDER BY j.id
                    """).bind(batchID.map { [.integer($0)] } ?? [])
                try statement.forEachRow { try body(ResultRecord(row: $0)) }
            }
        }
    }

    static func counts(batchID: Int64?, _ db: Connection) throws -> JobCounts {
        var counts = JobCounts()
        let filter = batchID == nil ? "" : "WHERE batch_id = ?"
        let values: [SQLValue] = batchID.map { [.integer($0)] } ?? []
        try db.prepare("SELECT state, count(*) FROM jobs \(filter) GROUP BY state").bind(values)
            .forEachRow { row in
                if let state = JobState(rawValue: row.string(0)) { counts[state] = row.int(1) }
            }
        counts.completionTokens = try db.prepare("""
            SELECT coalesce(sum(r.completion_tokens), 0) FROM results r JOIN jobs j ON j.id = r.job_id
            \(batchID == nil ? "" : "WHERE j.batch_id = ?")
            """).bind(values).firstRow { $0.int(0) } ?? 0
        return counts
    }

    static func record(id: Int64, _ db: Connection) throws -> JobRecord {
        let record = try db.prepare("""
            SELECT \(JobRecord.selectColumns) FROM jobs j JOIN batches b ON b.id = j.batch_id
            WHERE j.id = ?
            """).bind(.integer(id)).firstRow { JobRecord(row: $0) }
        guard let record else { throw JobStoreError.unknownJob(reference: String(id)) }
        return record
    }

    /// The job id a reference names. `BATCH/ID` whose batch does not exist is tried as a custom
    /// id containing `/`.
    static func resolve(_ reference: JobReference, _ db: Connection) throws -> Int64 {
        switch reference {
        case .id(let id):
            guard try db.prepare("SELECT 1 FROM jobs WHERE id = ?").bind(.integer(id))
                .firstRow({ _ in true }) != nil else {
                throw JobStoreError.unknownJob(reference: reference.description)
            }
            return id
        case .qualified(let batch, let customID):
            let batchID = try db.prepare("SELECT id FROM batches WHERE name = ?").bind(.text(batch))
                .firstRow { $0.int64(0) }
            guard let batchID else {
                do {
                    return try resolve(.customID(reference.description), db)
                } catch JobStoreError.unknownJob {
                    let twins = try JobStore.batchNames(differingOnlyInCaseFrom: batch, holding: customID, db)
                    throw JobStoreError.unknownJob(reference: reference.description,
                                                   differingInCase: twins.map { "\($0)/\(customID)" })
                }
            }
            guard let id = try db.prepare("SELECT id FROM jobs WHERE batch_id = ? AND custom_id = ?")
                .bind(.integer(batchID), .text(customID)).firstRow({ $0.int64(0) }) else {
                throw JobStoreError.unknownJob(reference: reference.description)
            }
            return id
        case .customID(let customID):
            // One probe of the (batch_id, custom_id) index per batch: CROSS JOIN keeps batches
            // as the outer loop, so no index on custom_id alone is needed.
            let matches = try db.prepare("""
                SELECT j.id, b.name
                FROM batches b CROSS JOIN jobs j ON j.batch_id = b.id AND j.custom_id = ?
                ORDER BY j.id LIMIT 6
                """).bind(.text(customID)).rows { (id: $0.int64(0), batch: $0.string(1)) }
            switch matches.count {
            case 0: throw JobStoreError.unknownJob(reference: customID)
            case 1: return matches[0].id
            default:
                throw JobStoreError.ambiguousJob(
                    reference: customID, candidates: matches.prefix(5).map { "\($0.batch)/\(customID)" })
            }
        }
    }
}
