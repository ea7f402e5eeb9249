/// How one request chooses its tokens and when it stops.
///
/// Order of application on each row of logits: penalties, then temperature, then top-k, top-p,
/// min-p, then one seeded draw. `temperature == 0` (or `topK == 1`) is greedy: penalties, then
/// the largest logit. Field names in error messages are the job file's (`top_p`).
public struct SamplingParameters: Sendable, Equatable {
    /// Divides the logits; 0 is greedy.
    public var temperature: Float
    /// Keep only the k most likely tokens; 0 turns it off.
    public var topK: Int
    /// Keep the fewest most likely tokens whose probability reaches this mass; 1 turns it off.
    public var topP: Float
    /// Drop tokens less likely than `minP` times the most likely one; 0 turns it off.
    public var minP: Float
    /// Divides positive logits (multiplies negative ones) of every token in the prompt or
    /// generated so far; 1 turns it off.
    public var repetitionPenalty: Float
    /// Subtracted once from the logit of every token generated so far.
    public var presencePenalty: Float
    /// Subtracted from a token's logit for each time it was generated so far.
    public var frequencyPenalty: Float
    /// Same seed, same tokens. nil: the engine picks one (reported back with the result).
    public var seed: UInt64?
    /// Most tokens to generate (finish reason `length`).
    public var maxTokens: Int
    /// Text that ends generation; it is never part of the output.
    public var stop: [String]
    /// Keep going past end-of-generation tokens (benchmarks that need a fixed length).
    public var ignoreEOS: Bool
    /// Record each generated token's log-probability and this many most likely alternatives
    /// (0–20); nil records none.
    public var logprobs: Int?

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                repetitionPenalty: Float = 1, presencePenalty: Float = 0, frequencyPenalty: Float = 0,
                seed: UInt64? = nil, maxTokens: Int = 256, stop: [String] = [], ignoreEOS: Bool = false,
                logprobs: Int? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.seed = seed
        self.maxTokens = maxTokens
        self.stop = stop
        self.ignoreEOS = ignoreEOS
        self.logprobs = logprobs
    }

    /// Greedy decoding, no penalties.
    public static func greedy(maxTokens: Int = 256) -> SamplingParameters {
        SamplingParameters(temperature: 0, maxTokens: maxTokens)
    }

    var isGreedy: Bool { temperature == 0 || topK == 1 }

    public func validate() throws {
        func fail(_ name: String, _ value: Any, _ expected: String) -> EngineError {
            .invalidParameter(name: name, value: "\(value)", expected: expected)
        }
        guard temperature.isFinite, temperature >= 0 else { throw fail("temperature", temperature, "a number ≥ 0 (0 is greedy)") }
        guard topK >= 0 else { throw fail("top_k", topK, "an integer ≥ 0 (0 turns it off)") }
        guard topP > 0, topP <= 1 else { throw fail("top_p", topP, "a number in (0, 1] (1 turns it off)") }
        guard minP >= 0, minP <= 1 else { throw fail("min_p", minP, "a number in [0, 1] (0 turns it off)") }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw fail("repetition_penalty", repetitionPenalty, "a number > 0 (1 turns it off)")
        }
        guard presencePenalty.isFinite else { throw fail("presence_penalty", presencePenalty, "a finite number (0 turns it off)") }
        guard frequencyPenalty.isFinite else { throw fail("frequency_penalty", frequencyPenalty, "a finite number (0 turns it off)") }
        guard maxTokens >= 1 else { throw fail("max_tokens", maxTokens, "an integer ≥ 1") }
        if let logprobs, !(0...20).contains(logprobs) { throw fail("top_logprobs", logprobs, "an integer from 0 to 20") }
        if let i = stop.firstIndex(of: "") { throw fail("stop[\(i)]", "\"\"", "a non-empty string") }
    }
}
