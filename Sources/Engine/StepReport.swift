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
    /// Finding the allowed tokens of structured-output rows (before sampling; cached masks
    /// cost a lookup, a new grammar state one walk of the vocabulary's trie).
    public var maskSeconds: Double = 0
    /// Rows sampled under a structured-output mask.
    public var maskedCount: Int = 0
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
    /// Every field of the steps' profiles summed (so `sequenceCount` is Σ sequences per step).
    public var total = StepProfile()

    public init() {}

    public mutating func add(_ step: StepProfile) {
        steps += 1
        total.totalSeconds += step.totalSeconds
        total.forwardSeconds += step.forwardSeconds
        total.attentionSeconds += step.attentionSeconds
        total.samplingSeconds += step.samplingSeconds
        total.maskSeconds += step.maskSeconds
        total.maskedCount += step.maskedCount
        total.schedulingSeconds += step.schedulingSeconds
        total.tokenCount += step.tokenCount
        total.promptTokenCount += step.promptTokenCount
        total.sampledCount += step.sampledCount
        total.sequenceCount += step.sequenceCount
        total.preemptionCount += step.preemptionCount
    }

    /// Mean sequences per forward pass.
    public var meanSequences: Double { steps == 0 ? 0 : Double(total.sequenceCount) / Double(steps) }
}
