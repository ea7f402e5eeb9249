import KVCache
import StructuredOutput
import Tokenizer

/// One request inside the engine: its tokens, how many of them are in the KV cache, its blocks,
/// its sampler and its output so far.
///
/// States: waiting → running → finished, and running → waiting again when preempted (its blocks
/// are freed and `computedTokens` drops to 0; generated tokens and the random stream are kept,
/// so the recomputation continues exactly where it stopped).
///
/// The scheduler only counts: `tokens.count − computedTokens` tokens are still to be computed,
/// whether they are prompt tokens (prefill) or the last sampled token (decode).
final class SequenceState {
    enum Status { case waiting, running, finished }

    let request: GenerationRequest
    /// Submission order, the last tie-breaker for scheduling.
    let serial: Int
    var status = Status.waiting
    /// Prompt tokens followed by generated ones; the last one's successor is not yet known.
    private(set) var tokens: [Int32]
    let promptCount: Int
    /// Leading tokens whose keys and values are in the KV cache.
    var computedTokens = 0
    var blocks: SequenceBlocks
    var sampler: Sampler
    /// Where the output stands in its format (structured output only).
    var constraint: OutputConstraint?

    // Output.
    private var decoder: StreamingDetokenizer
    private var stopMatcher: StopStringMatcher
    private(set) var text = ""
    /// UTF-8 bytes of `text` already handed out by `takeNewText()`.
    private var deliveredBytes = 0
    /// Tokens sampled, including a final end-of-generation token that `outputTokens` omits.
    private(set) var sampledCount = 0
    private(set) var endedWithEndToken = false

    // Statistics, in seconds of the engine's monotonic clock.
    let submittedAt: Double
    var admittedAt: Double?
    var firstTokenAt: Double?
    var prefixTokensReused = 0
    var preemptions = 0
    /// Steps that included this sequence, and the sum of their sequence counts.
    var activeSteps = 0
    var activeSequenceSum = 0

    init(request: GenerationRequest, serial: Int, seed: UInt64, blocks: SequenceBlocks, tokenizer: any Tokenizer,
         submittedAt: Double) {
        self.decoder = StreamingDetokenizer(tokenizer: tokenizer)
        self.request = request
        self.serial = serial
        self.tokens = request.promptTokens
        self.promptCount = request.promptTokens.count
        self.blocks = blocks
        self.sampler = Sampler(parameters: request.parameters, seed: seed, promptTokens: request.promptTokens)
        self.stopMatcher = StopStringMatcher(stops: request.parameters.stop)
        self.constraint = request.outputFormat.map(OutputConstraint.init)
        self.submittedAt = submittedAt
    }

    var id: Int64 { request.id }
    var parameters: SamplingParameters { request.parameters }
    var generatedCount: Int { tokens.count - promptCount }
    /// Tokens still to be computed before the next token can be sampled.
    var uncomputedCount: Int { tokens.count - computedTokens }

    /// Generated tokens, without a final end-of-generation token.
    var outputTokens: ArraySlice<Int32> {
        tokens[promptCount..<(endedWithEndToken ? tokens.count - 1 : tokens.count)]
    }

    /// Appends a sampled token and its text. Returns `.stop` when the token ends generation
    /// (end-of-generation token, stop string, or a structured output that is complete),
    /// `.length` at `max_tokens` or a full context, nil to go on.
    func append(_ token: Int32, isEndToken: Bool, contextLength: Int, completesOutput: Bool = false) -> FinishReason? {
        tokens.append(token)
        sampledCount += 1
        sampler.accept(token)
        if isEndToken {
            endedWithEndToken = true
            finishText()
            return .stop
        }
        switch stopMatcher.push(decoder.append(token)) {
        case .stopped(let before):
            text += before
            return .stop
        case .text(let safe):
            text += safe
        }
        if completesOutput {
            finishText()
            return .stop
        }
        if generatedCount >= parameters.maxTokens || tokens.count >= contextLength {
            finishText()
            return .length
        }
        return nil
    }

    /// The text produced since the last call (for streaming output).
    func takeNewText() -> String {
        let utf8 = text.utf8
        guard utf8.count > deliveredBytes else { return "" }
        let start = utf8.index(utf8.startIndex, offsetBy: deliveredBytes)
        deliveredBytes = utf8.count
        return String(text[start...])
    }

    /// Emits any held-back text (generation ended for a reason other than a stop string).
    func finishText() {
        // An incomplete character at the very end is still checked against the stop strings.
        switch stopMatcher.push(decoder.flush()) {
        case .stopped(let before): text += before
        case .text(let safe): text += safe + stopMatcher.flush()
        }
    }
}
