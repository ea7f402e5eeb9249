import JSON

/// One more answer to the same prompt, for a job that asked for several (OpenAI's `n`). The
/// first choice is the `JobResult` itself; these follow it as `choices[1...]`.
public struct ChoiceResult: Sendable, Equatable {
    public var text: String
    public var finishReason: ResultFinishReason
    public var completionTokens: Int
    public var logprobs: [ResultLogprob]?

    public init(text: String, finishReason: ResultFinishReason, completionTokens: Int, logprobs: [ResultLogprob]? = nil) {
        self.text = text
        self.finishReason = finishReason
        self.completionTokens = completionTokens
        self.logprobs = logprobs
    }

    /// The stored form: a JSON array of {"text", "finish_reason", "completion_tokens", "logprobs"}.
    static func serialized(_ choices: [ChoiceResult]) -> String {
        JSONValue.array(choices.map { choice in
            .object([
                JSONMember("text", .string(choice.text)),
                JSONMember("finish_reason", .string(choice.finishReason.rawValue)),
                JSONMember("completion_tokens", .int(choice.completionTokens)),
                JSONMember("logprobs", choice.logprobs.map { .array($0.map(\.chatValue)) } ?? .null),
            ])
        }).serialized()
    }

    /// Reads the stored form back; entries that are not choices (a hand-edited database) are left out.
    static func parse(_ text: String) -> [ChoiceResult] {
        guard case .array(let elements)? = try? JSONParser.parse(text) else { return [] }
        return elements.compactMap { element in
            guard case .string(let text)? = element["text"], case .string(let reason)? = element["finish_reason"],
                  let finishReason = ResultFinishReason(rawValue: reason), let tokens = element["completion_tokens"]?.integralValue else {
                return nil
            }
            let logprobs = element["logprobs"].flatMap { $0 == .null ? nil : ResultLogprob.parse($0.serialized()) }
            return ChoiceResult(text: text, finishReason: finishReason, completionTokens: Int(tokens), logprobs: logprobs)
        }
    }
}
