import Foundation

/// A finished job as exported by `jobs results`: its result when it succeeded, its error when
/// it failed or was cancelled.
public struct ResultRecord: Sendable, Equatable {
    public var jobID: Int64
    public var batchName: String
    public var customID: String
    public var kind: JobKind
    public var state: JobState
    public var attempts: Int
    public var finishedAt: Date
    public var outcome: Outcome
    /// The stored request of a job whose request has a top-level `responses` member (a
    /// `/v1/responses` job, whose result the request format writes in that shape); nil for
    /// other jobs, whose request is not read.
    public var responsesRequest: String?

    /// The top-level member of a stored request that makes `responsesRequest` read it.
    public static let responsesMember = "responses"

    public enum Outcome: Sendable, Equatable {
        case succeeded(JobResult, queueWait: TimeInterval, total: TimeInterval)
        /// Failed or cancelled, with the last error (cancelled jobs may have none).
        case unsuccessful(error: String?)
    }

    static let selectColumns = """
        j.id, b.name, j.custom_id, j.kind, j.state, j.attempts, j.finished_at,
        r.text, r.finish_reason, r.prompt_tokens, r.completion_tokens, r.model,
        r.time_to_first_token_seconds, r.prefill_seconds, r.decode_seconds, r.tokens_per_second,
        r.mean_batch_size, r.reused_from_job_id, r.queue_wait_seconds, r.total_seconds,
        j.last_error, r.prefix_tokens_reused,
        CASE WHEN json_type(j.request, '$.\(ResultRecord.responsesMember)') IS NOT NULL THEN j.request END,
        r.logprobs, r.more_choices
        """

    /// Reads `selectColumns` (jobs `j`, batches `b`, left-joined results `r`).
    init(row: Statement) {
        jobID = row.int64(0)
        batchName = row.string(1)
        customID = row.string(2)
        kind = JobKind(rawValue: row.string(3)) ?? .completion
        state = JobState(rawValue: row.string(4)) ?? .failed
        attempts = row.int(5)
        finishedAt = Date(timeIntervalSince1970: row.optionalDouble(6) ?? 0)
        if state == .succeeded, !row.isNull(7) {
            let result = JobResult(
                text: row.string(7),
                finishReason: ResultFinishReason(rawValue: row.string(8)) ?? .stop,
                promptTokens: row.int(9), completionTokens: row.int(10), model: row.string(11),
                timings: GenerationTimings(timeToFirstToken: row.double(12), prefill: row.double(13),
                                           decode: row.double(14), tokensPerSecond: row.double(15),
                                           meanActiveSequences: row.double(16), prefixTokensReused: row.int(21)),
                reusedFromJobID: row.optionalInt64(17), logprobs: row.optionalString(23).flatMap(ResultLogprob.parse),
                moreChoices: row.optionalString(24).map(ChoiceResult.parse) ?? [])
            outcome = .succeeded(result, queueWait: row.double(18), total: row.double(19))
        } else {
            outcome = .unsuccessful(error: row.optionalString(20))
        }
        responsesRequest = row.optionalString(22)
    }
}
