/// Where one sequence stood after some of its tokens: enough to continue it exactly as it would
/// have gone on, in another engine or another process (token-level resume after a crash).
///
/// What the output depends on, besides the model and the request: the tokens sampled so far
/// (they give the KV cache by recomputation, the penalties' counts, the detokenizer's and the
/// stop strings' held-back text, and the `max_tokens` count), the random stream's position
/// (xoshiro256** state; greedy sequences never draw) and, when recorded, the log-probabilities
/// of the tokens so far (they cannot be recomputed without the logits of every position).
/// Everything else is derived again on resume.
public struct SequenceCheckpoint: Sendable, Equatable {
    /// Every token sampled so far, in order; a final end-of-generation token included (a
    /// finished sequence's checkpoint replays to the same finish).
    public var tokens: [Int32]
    /// The sampler's seed (the request's, or the one the engine picked for it).
    public var seed: UInt64
    /// The sampler's random state after drawing for the last of `tokens`.
    public var randomState: Xoshiro256StarStar.State
    /// One entry per token of `tokens` when the request records log-probabilities; else empty.
    public var logprobs: [TokenLogprob]

    public init(tokens: [Int32], seed: UInt64, randomState: Xoshiro256StarStar.State, logprobs: [TokenLogprob] = []) {
        self.tokens = tokens
        self.seed = seed
        self.randomState = randomState
        self.logprobs = logprobs
    }
}
