import JSON
import JobStore

/// What a batch file's request may carry besides the fields that drive generation, following
/// the fields OpenAI's current reference lists for `/v1/chat/completions` and `/v1/completions`:
/// fields that ask for nothing we cannot do are accepted and recorded with the job (`jobs show`
/// lists them); fields that would silently change the answer are refused with what to do.
///
/// The rule for a refusal: a result that looks like OpenAI's but ignored part of the request
/// (a tool the model was told it could call, a bias on some tokens) is worse than
/// a line refused at submit time.
enum OpenAIFieldPolicy {
    enum Verdict: Equatable {
        /// Accepted; recorded as written, changes nothing.
        case ignored
        /// Refused: the hint says what to do instead.
        case refused(String)
    }

    /// The verdict for a body field that is not a generation field, or nil for a field OpenAI
    /// does not define (then it is an unknown field). `null` is always accepted as absent.
    static func verdict(for key: String, value: JSONValue) -> Verdict? {
        guard let rule = rules[key] else { return nil }
        if value == .null { return .ignored }
        return rule.accepts(value) ? .ignored : .refused(rule.hint)
    }

    /// The fields this table knows, for "did you mean" suggestions.
    static var knownFields: [String] { rules.keys.sorted() }

    private struct Rule: Sendable {
        /// Whether a value asks for nothing we would have to ignore.
        var accepts: @Sendable (JSONValue) -> Bool
        var hint: String
    }

    private static let always: @Sendable (JSONValue) -> Bool = { _ in true }

    @Sendable private static func isEmpty(_ value: JSONValue) -> Bool {
        switch value {
        case .array(let elements): return elements.isEmpty
        case .object(let members): return members.isEmpty
        case .string(let text): return text.isEmpty
        default: return false
        }
    }

    private static let rules: [String: Rule] = [
        // Bookkeeping for OpenAI's side: nothing to do with the answer.
        "user": Rule(accepts: always, hint: ""),
        "store": Rule(accepts: always, hint: ""),
        "metadata": Rule(accepts: always, hint: ""),
        "service_tier": Rule(accepts: always, hint: ""),
        "prompt_cache_key": Rule(accepts: always, hint: ""),
        "safety_identifier": Rule(accepts: always, hint: ""),
        // A latency hint (predicted output): the answer is the same without it.
        "prediction": Rule(accepts: always, hint: ""),
        // Results are stored whole; stream_options only matters when streaming.
        "stream": Rule(accepts: { $0 == .bool(false) },
                       hint: "results are stored, not streamed; remove stream or set it to false"),
        "stream_options": Rule(accepts: always, hint: ""),
        // Without tools there are no calls to run in parallel.
        "parallel_tool_calls": Rule(accepts: always, hint: ""),
        "best_of": Rule(accepts: { $0.integralValue == 1 }, hint: "one completion per job; remove best_of"),
        "echo": Rule(accepts: { $0 == .bool(false) }, hint: "the prompt is not echoed; remove echo"),
        "suffix": Rule(accepts: isEmpty, hint: "insertion with a suffix is not supported; remove suffix"),
        "logit_bias": Rule(accepts: isEmpty,
                           hint: "token biases are not applied; remove logit_bias"),
        "modalities": Rule(accepts: { $0 == .array([.string("text")]) },
                           hint: "text output only; remove modalities or set [\"text\"]"),
        "audio": Rule(accepts: { _ in false }, hint: "audio output is not supported; remove audio"),
        "tools": Rule(accepts: isEmpty, hint: "tool calls are not supported; remove tools"),
        "tool_choice": Rule(accepts: { $0 == .string("none") || $0 == .string("auto") },
                            hint: "tool calls are not supported; remove tool_choice"),
        "functions": Rule(accepts: isEmpty, hint: "function calls are not supported; remove functions"),
        "function_call": Rule(accepts: { $0 == .string("none") || $0 == .string("auto") },
                              hint: "function calls are not supported; remove function_call"),
        "reasoning_effort": Rule(accepts: { _ in false },
                                 hint: "the models run here do not reason before answering; remove reasoning_effort"),
        "verbosity": Rule(accepts: { _ in false }, hint: "answer length is set by max_completion_tokens; remove verbosity"),
        "web_search_options": Rule(accepts: { _ in false }, hint: "web search is not available; remove web_search_options"),
    ]
}
