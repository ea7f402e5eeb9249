/// Everything that can go wrong in the engine, with messages a user can act on.
///
/// Request errors (`emptyPrompt`, `promptTooLong`, `invalidParameter`, …) fail one request and
/// nothing else: `Engine.submit` throws them, or a `FinishedSequence` carries them. The daemon
/// stores the message on the job, so messages do not repeat the job id.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An engine size out of range; the command line names the option with its flag.
    case invalidOption(EngineOptions.Option, value: Int, expected: String)
    /// A sampling parameter out of range, named as in the job file (`top_p`).
    case invalidParameter(name: String, value: String, expected: String)
    case emptyPrompt
    case promptTooLong(tokens: Int, context: Int)
    case tokenOutOfVocabulary(token: Int32, position: Int, vocabularySize: Int)
    case duplicateRequest(id: Int64)
    /// The sequence needs more KV blocks than the whole cache has, even with nothing else running.
    /// `tokens` are the ones the step needed room for: a prefill chunk of a longer prompt, the
    /// whole prompt, or the prompt and the tokens generated so far.
    case exceedsKVCache(tokens: Int, promptTokens: Int, blocksNeeded: Int, blockCount: Int, blockBytes: Int)
    /// The KV memory could not be reserved (from `KVBlockStorage`).
    case kvMemory(String)
    /// A stop was requested while the KV memory was being made resident.
    case stopped
    /// The model's forward pass threw; nothing was advanced.
    case forwardFailed(String)
    /// No token of the vocabulary can continue the structured output (a format whose next
    /// bytes no token spells, or a grammar grown past its limits).
    case outputFormatUnreachable(generatedTokens: Int)
    /// A sampled token broke the structured output (a sampler fault, never expected).
    case outputFormatViolated(token: Int32)
    /// A resume checkpoint that cannot belong to the request (damaged, or from another model
    /// or request); the caller starts the request from its prompt instead.
    case invalidCheckpoint(String)

    public var description: String {
        switch self {
        case let .invalidOption(option, value, expected):
            return "\(option.rawValue) is \(value); expected \(expected)"
        case let .invalidParameter(name, value, expected):
            return "\(name) is \(value); expected \(expected)"
        case .emptyPrompt:
            return "prompt has no tokens; give the job a non-empty prompt"
        case let .promptTooLong(tokens, context):
            if tokens == context {
                return "prompt has \(tokens) tokens; model context is \(context) (leave room for at least one generated token)"
            }
            return "prompt has \(tokens) tokens; model context is \(context)"
        case let .tokenOutOfVocabulary(token, position, vocabularySize):
            return "prompt token \(token) at position \(position) is outside the model's vocabulary of \(vocabularySize) tokens; was the prompt tokenized for another model?"
        case let .duplicateRequest(id):
            return "request \(id) is already in the engine"
        case let .exceedsKVCache(tokens, prompt, needed, count, blockBytes):
            let cache = "but the whole cache holds \(count) (\(count * blockBytes) bytes); raise --kv-memory"
            if tokens < prompt {
                return "the prompt has \(prompt) tokens and its first \(tokens) already need \(needed) KV blocks \(cache) or shorten the prompt"
            }
            if tokens == prompt {
                return "the prompt of \(prompt) tokens needs \(needed) KV blocks \(cache) or shorten the prompt"
            }
            return "the prompt of \(prompt) tokens and \(tokens - prompt) generated need \(needed) KV blocks \(cache) or shorten the prompt or max_tokens"
        case let .kvMemory(message):
            return message
        case .stopped:
            return "stopped while the KV memory was being made resident"
        case let .forwardFailed(message):
            return "forward pass failed: \(message)"
        case let .outputFormatUnreachable(generated):
            return "after \(generated) tokens no token of the model's vocabulary can continue the structured output; simplify the schema (patterns, long literals)"
        case let .outputFormatViolated(token):
            return "token \(token) was sampled outside the structured-output mask; this is a bug in jobs, please report it with the job's request"
        case let .invalidCheckpoint(reason):
            return "checkpoint does not fit the request: \(reason); start from the prompt instead"
        }
    }
}
