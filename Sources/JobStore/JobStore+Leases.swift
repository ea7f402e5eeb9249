import Foundation

/// The daemon's side of the queue: claim jobs under a lease, keep the lease alive, and hand the
/// job back finished, failed or unstarted. Every write checks that the lease is still the
/// writer's, so a daemon that lost a job (another daemon took it over after its lease expired,
/// a user cancelled it) can never write a second result.
///
/// An expired lease is lost only once a claim has taken the job back (`claim` first returns
/// expired jobs to the queue, in the same transaction). Until then the job is still the
/// writer's, and nobody else can be working on it: a daemon whose database was locked or full
/// for longer than its lease renews the lease and writes its result when the database lets
/// it, instead of throwing the finished work away.
extension JobStore {
    /// Leases up to `limit` claimable jobs to `owner` for `lease` seconds: highest priority
    /// first, then oldest. Claimable means queued and past any backoff; a running job whose
    /// lease expired is first put back in the queue (or failed, when that was its last
    /// attempt). Each claim counts as an attempt.
    public func claim(limit: Int, owner: String, lease: TimeInterval,
                      now: Date = Date()) throws -> [ClaimedJob] {
        precondition(limit > 0, "claim limit must be positive")
        precondition(lease > 0, "lease must be positive")
        let time = now.timeIntervalSince1970
        return try withConnection { db in
            try db.transaction(.immediate) {
                try JobStore.expireLeases(db, now: time)
                let rows = try db.prepare("""
                    UPDATE jobs
                    SET state = 'running', attempts = attempts + 1, lease_owner = ?,
                        lease_expires_at = ?, claimed_at = ?
                    WHERE id IN (SELECT id FROM jobs
                                 WHERE state = 'queued' AND not_before <= ?
                                 ORDER BY priority DESC, id
                                 LIMIT ?)
                    RETURNING id, batch_id, custom_id, priority, attempts, max_attempts, request,
                              request_hash, kind
                    """).bind(.text(owner), .real(time + lease), .real(time), .real(time), .int(limit))
                    .rows { row in
                        (id: row.int64(0), batchID: row.int64(1), customID: row.string(2),
                         priority: row.int(3), attempt: row.int(4), maxAttempts: row.int(5),
                         request: row.string(6), requestHash: row.string(7), kind: row.string(8))
                    }
                var claimed: [ClaimedJob] = []
                var batchNames: [Int64: String] = [:]
                let batchName = try db.prepare("SELECT name FROM batches WHERE id = ?")
                for row in rows {
                    if batchNames[row.batchID] == nil {
                        batchNames[row.batchID] = try batchName.bind(.integer(row.batchID))
                            .firstRow { $0.string(0) } ?? ""
                    }
                    claimed.append(ClaimedJob(
                        id: row.id, batchID: row.batchID, batchName: batchNames[row.batchID] ?? "",
                        customID: row.customID,
                        priority: row.priority, attempt: row.attempt,
                        maxAttempts: row.maxAttempts, kind: JobKind(rawValue: row.kind) ?? .completion,
                        request: row.request, requestHash: row.requestHash,
                        leaseExpiresAt: Date(timeIntervalSince1970: time + lease)))
                }
                // RETURNING gives no order guarantee; callers expect claim order.
                return claimed.sorted { ($0.priority, -$0.id) > ($1.priority, -$1.id) }
            }
        }
    }

    /// Heartbeat: extends the leases `owner` still holds among `jobIDs` to `now + lease` and
    /// returns their ids (an expired lease no claim has taken back included). A job missing
    /// from the answer is lost (cancelled, or taken back by a claim): stop working on it.
    @discardableResult
    public func renewLeases(owner: String, jobIDs: [Int64], lease: TimeInterval,
                            now: Date = Date()) throws -> Set<Int64> {
        precondition(lease > 0, "lease must be positive")
        let time = now.timeIntervalSince1970
        return try withConnection { db in
            try db.transaction(.immediate) {
                let renew = try db.prepare("""
                    UPDATE jobs SET lease_expires_at = ?
                    WHERE id = ? AND state = 'running' AND lease_owner = ?
                    """)
                var held: Set<Int64> = []
                for id in jobIDs {
                    try renew.bind(.real(time + lease), .integer(id), .text(owner)).run()
                    if db.changes == 1 { held.insert(id) }
                }
                return held
            }
        }
    }

    /// Records a succeeded job: its result and the state change, in one transaction, only if
    /// `owner` still holds the lease on it (expired or not, as long as no claim took the job
    /// back). Returns false (writing nothing) otherwise.
    @discardableResult
    public func complete(jobID: Int64, owner: String, result: JobResult,
                         now: Date = Date()) throws -> Bool {
        let time = now.timeIntervalSince1970
        return try withConnection { db in
            try db.transaction(.immediate) {
                let started = try db.prepare("""
                    UPDATE jobs
                    SET state = 'succeeded', finished_at = ?, lease_owner = NULL,
                        lease_expires_at = NULL, last_error = NULL
                    WHERE id = ? AND state = 'running' AND lease_owner = ?
                    RETURNING queued_at, claimed_at
                    """).bind(.real(time), .integer(jobID), .text(owner))
                    .firstRow { (queuedAt: $0.double(0), claimedAt: $0.double(1)) }
                guard let started else { return false }
                let timings = result.timings
                try db.prepare("""
                    INSERT INTO results (job_id, text, finish_reason, prompt_tokens,
                        completion_tokens, model, queue_wait_seconds, time_to_first_token_seconds,
                        prefill_seconds, decode_seconds, total_seconds, tokens_per_second,
                        mean_batch_size, reused_from_job_id, prefix_tokens_reused, logprobs, more_choices)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).bind(.integer(jobID), .text(result.text), .text(result.finishReason.rawValue),
                              .int(result.promptTokens), .int(result.completionTokens),
                              .text(result.model), .real(max(0, started.claimedAt - started.queuedAt)),
                              .real(timings.timeToFirstToken), .real(timings.prefill),
                              .real(timings.decode), .real(max(0, time - started.queuedAt)),
                              .real(timings.tokensPerSecond), .real(timings.meanActiveSequences),
                              .optional(result.reusedFromJobID), .int(timings.prefixTokensReused),
                              .optional(result.logprobs.map(ResultLogprob.serialized)),
                              .optional(result.moreChoices.isEmpty ? nil : ChoiceResult.serialized(result.moreChoices))).run()
                return true
            }
        }
    }

    /// Records a failed attempt, if `owner` still holds the lease. A retryable failure with
    /// attempts left goes back to the queue after the policy's backoff; otherwise the job fails
    /// for good with `message` as its error.
    @discardableResult
    public func fail(jobID: Int64, owner: String, message: String, retryable: Bool,
                     now: Date = Date()) throws -> FailOutcome {
        let time = now.timeIntervalSince1970
        return try withConnection { db in
            try db.transaction(.immediate) {
                let attempts = try db.prepare("""
                    SELECT attempts, max_attempts FROM jobs
                    WHERE id = ? AND state = 'running' AND lease_owner = ?
                    """).bind(.integer(jobID), .text(owner))
                    .firstRow { (done: $0.int(0), allowed: $0.int(1)) }
                guard let attempts else { return .leaseLost }
                guard retryable, attempts.done < attempts.allowed else {
                    try JobStore.finish(db, jobID: jobID, state: .failed, error: message, now: time)
                    return .failed
                }
                let notBefore = time + retryPolicy.delay(afterAttempt: attempts.done)
                try db.prepare("""
                    UPDATE jobs
                    SET state = 'queued', not_before = ?, last_error = ?, lease_owner = NULL,
                        lease_expires_at = NULL
                    WHERE id = ?
                    """).bind(.real(notBefore), .text(message), .integer(jobID)).run()
                return .willRetry(at: Date(timeIntervalSince1970: notBefore))
            }
        }
    }

    /// Gives jobs back to the queue without counting the attempt (a daemon shutting down on
    /// SIGTERM). `jobIDs` nil releases every job `owner` holds. Returns how many were released.
    @discardableResult
    public func release(owner: String, jobIDs: [Int64]? = nil) throws -> Int {
        try withConnection { db in
            try db.transaction(.immediate) {
                let sql = """
                    UPDATE jobs
                    SET state = 'queued', attempts = max(attempts - 1, 0), lease_owner = NULL,
                        lease_expires_at = NULL, claimed_at = NULL
                    WHERE state = 'running' AND lease_owner = ?
                    """
                guard let jobIDs else {
                    try db.prepare(sql).bind(.text(owner)).run()
                    return db.changes
                }
                let release = try db.prepare(sql + " AND id = ?")
                var released = 0
                for id in jobIDs {
                    try release.bind(.text(owner), .integer(id)).run()
                    released += db.changes
                }
                return released
            }
        }
    }

    /// The result of the most recent succeeded job with the same request hash, produced by
    /// `model`, for opt-in result reuse: identical request (seed included) and model give the
    /// same tokens, so the text can be copied instead of generated.
    public func findReusableResult(requestHash: String, model: String) throws -> (jobID: Int64, result: JobResult)? {
        try withConnection { db in
            try db.prepare("""
                SELECT r.job_id, r.text, r.finish_reason, r.prompt_tokens, r.completion_tokens,
                       r.model, r.time_to_first_token_seconds, r.prefill_seconds,
                       r.decode_seconds, r.tokens_per_second, r.mean_batch_size, r.prefix_tokens_reused, r.logprobs,
                       r.more_choices
                FROM jobs j JOIN results r ON r.job_id = j.id
                WHERE j.request_hash = ? AND j.state = 'succeeded' AND r.model = ?
                ORDER BY j.finished_at DESC
                LIMIT 1
                """).bind(.text(requestHash), .text(model)).firstRow { row in
                (jobID: row.int64(0), result: JobResult(
                    text: row.string(1), finishReason: ResultFinishReason(rawValue: row.string(2)) ?? .stop,
                    promptTokens: row.int(3), completionTokens: row.int(4), model: row.string(5),
                    timings: GenerationTimings(timeToFirstToken: row.double(6), prefill: row.double(7),
                                               decode: row.double(8), tokensPerSecond: row.double(9),
                                               meanActiveSequences: row.double(10), prefixTokensReused: row.int(11)),
                    logprobs: row.optionalString(12).flatMap(ResultLogprob.parse),
                    moreChoices: row.optionalString(13).map(ChoiceResult.parse) ?? []))
            }
        }
    }

    /// Puts jobs whose lease expired back in the queue; a job that was on its last attempt
    /// fails instead (a job that kills its daemon every time must not loop forever).
    static func expireLeases(_ db: Connection, now: Double) throws {
        try db.prepare("""
            UPDATE jobs
            SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                finished_at = CASE WHEN attempts >= max_attempts THEN ? ELSE NULL END,
                last_error = 'lease of ' || lease_owner || ' expired during attempt ' || attempts
                    || ' of ' || max_attempts
                    || ' (the daemon stopped renewing it: crashed, killed or stalled)',
                lease_owner = NULL, lease_expires_at = NULL
            WHERE state = 'running' AND lease_expires_at <= ?
            """).bind(.real(now), .real(now)).run()
    }

    /// Moves a job to a final state, clearing its lease.
    static func finish(_ db: Connection, jobID: Int64, state: JobState, error: String?,
                       now: Double) throws {
        precondition(state.isFinished)
        try db.prepare("""
            UPDATE jobs
            SET state = ?, finished_at = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ?
            """).bind(.text(state.rawValue), .real(now), .optional(error), .integer(jobID)).run()
    }
}
