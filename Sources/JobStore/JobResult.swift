import Foundation

/// What a daemon reports for a job that finished generating.
public struct JobResult: Sendable, Equatable {
    public var text: String
    public var finishReason: ResultFinishReason
    public var promptTokens: Int
    /// Generated tokens of every choice (the first choice's alone when there is one).
    public var completionTokens: Int
    /// The model that produced the text (reported in the results' `model` field).
    public var model: String
    public var timings: GenerationTimings
    /// Set when the text was copied from an identical earlier job instead of generated.
    public var reusedFromJobID: Int64?
    /// One entry per generated token when the job asked for log-probabilities, else nil.
    public var logprobs: [ResultLogprob]?
    /// The choices after the first, for a job that asked for `n` > 1; `text`, `finishReason`
    /// and `logprobs` above are the first choice's.
    public var moreChoices: [ChoiceResult]
    /// Tokens the first choice generated (`completionTokens` counts every choice's).
    public var firstChoiceTokens: Int { completionTokens - moreChoices.reduce(0) { $0 + $1.completionTokens } }

    public init(text: String, finishReason: ResultFinishReason, promptTokens: Int,
                completionTokens: Int, model: String, timings: GenerationTimings,
                reusedFromJobID: Int64? = nil, logprobs: [ResultLogprob]? = nil, moreChoices: [ChoiceResult] = []) {
        precondition(promptTokens >= 0 && completionTokens >= 0, "token counts cannot be negative")
        self.text = text
        self.finishReason = finishReason
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.model = model
        self.timings = timings
        self.reusedFromJobID = reusedFromJobID
        self.logprobs = logprobs
        self.moreChoices = moreChoices
    }
}

/// How a stored result ended: OpenAI's `finish_reason`, as the `results.finish_reason` column
/// records it (the engine's `FinishReason` is why a sequence stopped; the daemon maps one to
/// the other).
public enum ResultFinishReason: String, Sendable, CaseIterable {
    /// End of sequence or a stop string.
    case stop
    /// `max_tokens` (or the context) ran out.
    case length
}

/// The engine's measurements of one job, in seconds. The store adds queue wait and total time
/// itself from the job's own timestamps.
public struct GenerationTimings: Sendable, Equatable {
    /// From the engine admitting the job to its first generated token.
    public var timeToFirstToken: TimeInterval
    /// Time in forward passes over the prompt.
    public var prefill: TimeInterval
    /// Time in forward passes producing tokens after the first.
    public var decode: TimeInterval
    /// Generated tokens per second of decode.
    public var tokensPerSecond: Double
    /// Mean number of sequences in the engine's forward steps while this job ran (the engine's
    /// `SequenceTimings.meanActiveSequences`; the `mean_batch_size` column and output field).
    public var meanActiveSequences: Double
    /// Prompt tokens taken from the prefix cache instead of computed.
    public var prefixTokensReused: Int

    public init(timeToFirstToken: TimeInterval, prefill: TimeInterval, decode: TimeInterval,
                tokensPerSecond: Double, meanActiveSequences: Double, prefixTokensReused: Int = 0) {
        self.timeToFirstToken = timeToFirstToken
        self.prefill = prefill
        self.decode = decode
        self.tokensPerSecond = tokensPerSecond
        self.meanActiveSequences = meanActiveSequences
        self.prefixTokensReused = prefixTokensReused
    }

    public static let zero = GenerationTimings(timeToFirstToken: 0, prefill: 0, decode: 0,
                                               tokensPerSecond: 0, meanActiveSequences: 0)
}
