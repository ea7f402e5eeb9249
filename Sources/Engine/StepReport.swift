/// What one engine step did and where its time went.
public struct StepProfile: Sendable, Equatable {
    /// Wall time of the whole step.
    public var totalSeconds: Double = 0
    /// Inside `LanguageModel.forward`.
    public var forwardSeconds: Double = 0
    /// The part of `forwardSeconds` spent in attention, as the model reports it.
    public var attentionSeconds: Double = 0
    /// Choosing the step's tokens (all rows, in parallel).
    public var samplingSeconds: Double = 0
    /// Everything else: scheduling, building the batch, detokenizing, bookkeeping.
    public var schedulingSeconds: Double = 0
    /// Tokens in the forward pass.
    public var tokenCount: Int = 0
    /// The part of `tokenCount` at prompt positions (prefill; prefix-cache hits are not
    /// computed and not counted).
    public var promptTokenCount: Int = 0
    /// Rows of logits sampled (one token each).
    public var sampledCount: Int = 0
    /// Sequences in the forward pass.
    public var sequenceCount: Int = 0
    /// Sequences preempted to make room.
    public var preemptionCount: Int = 0

    public init() {}
}

/// The result of `Engine.step()`.
public struct StepReport: Sendable {
    /// Sequences that finished or failed in this step; their blocks are already free.
    public var finished: [FinishedSequence] = []
    /// Ids of sequences preempted in this step (they stay in the engine and resume later).
    public var preempted: [Int64] = []
    /// Text each sequence produced in this step, for streaming (a finished sequence's last
    /// piece included; the concatenation of a sequence's deltas is its final text).
    public var textDeltas: [Int64: String] = [:]
    public var profile = StepProfile()

    public init() {}
}

/// Step profiles added up, for `jobs bench`.
public struct EngineProfile: Sendable, Equatable {
    public var steps: Int = 0
    public var totalSeconds: Double = 0
    public var forwardSeconds: Double = 0
    public var attentionSeconds: Double = 0
    public var samplingSeconds: Double = 0
    public var schedulingSeconds: Double = 0
    public var tokenCount: Int = 0
    public var promptTokenCount: Int = 0
    public var sampledCount: Int = 0
    /// Σ sequences per step, for the mean.
    public var sequenceSum: Int = 0
    public var preemptionCount: Int = 0

    public init() {}

    public mutating func add(_ step: StepProfile) {
        steps += 1
        totalSeconds += step.totalSeconds
        forwardSeconds += step.forwardSeconds
        attentionSeconds += step.attentionSeconds
        samplingSeconds += step.samplingSeconds
        schedulingSeconds += step.schedulingSeconds
        tokenCount += step.tokenCount
        promptTokenCount += step.promptTokenCount
        sampledCount += step.sampledCount
        sequenceSum += step.sequenceCount
        preemptionCount += step.preemptionCount
    }

    /// Mean sequences per forward pass.
    public var meanSequences: Double { steps == 0 ? 0 : Double(sequenceSum) / Double(steps) }
    /// Sampled tokens per second of step time.
    public var sampledTokensPerSecond: Double { totalSeconds == 0 ? 0 : Double(sampledCount) / totalSeconds }
    /// Tokens through the model (prompt and generated) per second of step time.
    public var tokensPerSecond: Double { totalSeconds == 0 ? 0 : Double(tokenCount) / totalSeconds }
}
