/// Why a sequence stopped generating.
public enum FinishReason: String, Sendable, Equatable {
    /// An end-of-generation token or a stop string.
    case stop
    /// `max_tokens` reached, or the model's context is full.
    case length
}

/// Where one sequence's time went. Durations in seconds of a monotonic clock.
public struct SequenceTimings: Sendable, Equatable {
    /// From `submit` to the step that first scheduled the sequence (queue wait before the
    /// engine is the daemon's to add).
    public var waitSeconds: Double = 0
    /// From `submit` to the end of the step that sampled the first token.
    public var timeToFirstTokenSeconds: Double = 0
    /// From admission to the first token: the prompt's forward passes, shared with others.
    public var prefillSeconds: Double = 0
    /// From the first token to the last.
    public var decodeSeconds: Double = 0
    /// Generated tokens after the first per second of decode (0 with fewer than two tokens).
    public var tokensPerSecond: Double = 0
    /// Mean number of sequences in the forward passes that included this one.
    public var meanActiveSequences: Double = 0
    /// Prompt tokens taken from the prefix cache when first admitted.
    public var prefixTokensReused: Int = 0
    /// Times the sequence was preempted (its KV blocks freed and recomputed later).
    public var preemptions: Int = 0
    /// Generated tokens restored from a checkpoint (`GenerationRequest.resume`) instead of
    /// sampled by this engine; 0 for a sequence that started from its prompt.
    public var resumedTokens: Int = 0
    /// The part of `resumedTokens` whose keys and values were computed again (the rest came
    /// from the prefix cache).
    public var recomputedTokens: Int = 0

    public init() {}
}

/// A sequence that left the engine: its output, or why it failed.
public struct FinishedSequence: Sendable {
    public var id: Int64
    /// Generated token ids; a final end-of-generation token is not included. Tokens that
    /// completed a stop string are.
    public var tokens: [Int32]
    /// The generated text, ending right before a stop string.
    public var text: String
    /// nil when the sequence failed (`error` says why).
    public var finishReason: FinishReason?
    public var error: EngineError?
    public var promptTokenCount: Int
    /// Every sampled token, including a final end-of-generation token.
    public var completionTokenCount: Int
    /// The seed the sampler used (the request's, or the one the engine picked).
    public var seed: UInt64
    public var timings: SequenceTimings
    /// One per entry of `tokens` when the request asked for them (`SamplingParameters.logprobs`).
    public var logprobs: [TokenLogprob]
    /// The sequence's last state (every sampled token, the end token included), so a job with
    /// several choices can save a finished choice beside the unfinished ones. nil on failure.
    public var checkpoint: SequenceCheckpoint?

    public init(id: Int64, tokens: [Int32], text: String, finishReason: FinishReason?, error: EngineError?,
                promptTokenCount: Int, completionTokenCount: Int, seed: UInt64, timings: SequenceTimings,
                logprobs: [TokenLogprob] = [], checkpoint: SequenceCheckpoint? = nil) {
        self.checkpoint = checkpoint
        self.id = id
        self.tokens = tokens
        self.text = text
        self.finishReason = finishReason
        self.error = error
        self.promptTokenCount = promptTokenCount
        self.completionTokenCount = completionTokenCount
        self.seed = seed
        self.timings = timings
        self.logprobs = logprobs
    }
}
