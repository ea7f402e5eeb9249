import Foundation

/// What one daemon's engine did during a short interval: the time series behind `jobs report`
/// (active sequences and throughput over time). The daemon records one per interval in which
/// its engine ran; `prune` drops them with the jobs of the same age.
public struct EngineSample: Sendable, Equatable {
    /// The daemon's lease owner name.
    public var owner: String
    /// End of the interval.
    public var recordedAt: Date
    public var intervalSeconds: Double
    public var steps: Int
    /// Running sequences per step over the interval.
    public var meanActiveSequences: Double
    public var maxActiveSequences: Int
    /// Sequences waiting inside the engine at the end of the interval.
    public var waitingSequences: Int
    /// Prompt tokens computed and tokens generated during the interval.
    public var promptTokens: Int
    public var generatedTokens: Int
    public var kvBlocksUsed: Int
    public var kvBlocksTotal: Int

    public init(owner: String, recordedAt: Date, intervalSeconds: Double, steps: Int, meanActiveSequences: Double,
                maxActiveSequences: Int, waitingSequences: Int, promptTokens: Int, generatedTokens: Int,
                kvBlocksUsed: Int, kvBlocksTotal: Int) {
        self.owner = owner
        self.recordedAt = recordedAt
        self.intervalSeconds = intervalSeconds
        self.steps = steps
        self.meanActiveSequences = meanActiveSequences
        self.maxActiveSequences = maxActiveSequences
        self.waitingSequences = waitingSequences
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.kvBlocksUsed = kvBlocksUsed
        self.kvBlocksTotal = kvBlocksTotal
    }
}

extension JobStore {
    public func recordEngineSample(_ sample: EngineSample) throws {
        try withConnection { db in
            try db.prepare("""
                INSERT INTO engine_samples (owner, recorded_at, interval_seconds, steps, mean_active_sequences,
                    max_active_sequences, waiting_sequences, prompt_tokens, generated_tokens,
                    kv_blocks_used, kv_blocks_total)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).bind(.text(sample.owner), .real(sample.recordedAt.timeIntervalSince1970),
                          .real(sample.intervalSeconds), .int(sample.steps), .real(sample.meanActiveSequences),
                          .int(sample.maxActiveSequences), .int(sample.waitingSequences), .int(sample.promptTokens),
                          .int(sample.generatedTokens), .int(sample.kvBlocksUsed), .int(sample.kvBlocksTotal)).run()
        }
    }

    /// Samples recorded in `[from, to]` (either end open when nil), oldest first.
    public func engineSamples(from: Date? = nil, to: Date? = nil) throws -> [EngineSample] {
        try withConnection { db in
            try db.prepare("""
                SELECT owner, recorded_at, interval_seconds, steps, mean_active_sequences, max_active_sequences,
                       waiting_sequences, prompt_tokens, generated_tokens, kv_blocks_used, kv_blocks_total
                FROM engine_samples
                WHERE recorded_at >= ? AND recorded_at <= ?
                ORDER BY recorded_at, id
                """).bind(.real(from?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude),
                          .real(to?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude)).rows { row in
                EngineSample(owner: row.string(0), recordedAt: Date(timeIntervalSince1970: row.double(1)),
                             intervalSeconds: row.double(2), steps: row.int(3), meanActiveSequences: row.double(4),
                             maxActiveSequences: row.int(5), waitingSequences: row.int(6), promptTokens: row.int(7),
                             generatedTokens: row.int(8), kvBlocksUsed: row.int(9), kvBlocksTotal: row.int(10))
            }
        }
    }
}
