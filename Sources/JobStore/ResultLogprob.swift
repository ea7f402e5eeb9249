import JSON

/// One generated token's log-probability and its most likely alternatives, as stored with a
/// result and written in OpenAI's shapes (`ChatCompletionTokenLogprob` for chat, the legacy
/// `tokens`/`token_logprobs`/`top_logprobs`/`text_offset` object for completions).
public struct ResultLogprob: Sendable, Equatable {
    /// The token's text (its bytes read as UTF-8; a token holding part of a character shows
    /// U+FFFD here and its exact bytes in `bytes`).
    public var token: String
    /// Natural log of the token's probability.
    public var logprob: Double
    public var bytes: [UInt8]
    /// Most likely first.
    public var top: [Alternative]

    public struct Alternative: Sendable, Equatable {
        public var token: String
        public var logprob: Double
        public var bytes: [UInt8]

        public init(token: String, logprob: Double, bytes: [UInt8]) {
            self.token = token
            self.logprob = logprob
            self.bytes = bytes
        }
    }

    public init(token: String, logprob: Double, bytes: [UInt8], top: [Alternative]) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
        self.top = top
    }

    /// OpenAI's `ChatCompletionTokenLogprob` object.
    public var chatValue: JSONValue {
        .object([
            JSONMember("token", .string(token)), JSONMember("logprob", .double(logprob)),
            JSONMember("bytes", .array(bytes.map { .integer(Int64($0)) })),
            JSONMember("top_logprobs", .array(top.map { alternative in
                .object([JSONMember("token", .string(alternative.token)), JSONMember("logprob", .double(alternative.logprob)),
                         JSONMember("bytes", .array(alternative.bytes.map { .integer(Int64($0)) }))])
            })),
        ])
    }

    /// The stored form: a JSON array of `chatValue`s.
    static func serialized(_ entries: [ResultLogprob]) -> String {
        JSONValue.array(entries.map(\.chatValue)).serialized()
    }

    /// Reads the stored form back; nil when it is not one (a hand-edited database).
    static func parse(_ text: String) -> [ResultLogprob]? {
        guard case .array(let elements)? = try? JSONParser.parse(text) else { return nil }
        func bytes(_ value: JSONValue?) -> [UInt8] {
            guard case .array(let values)? = value else { return [] }
            return values.compactMap { $0.integralValue.flatMap(UInt8.init(exactly:)) }
        }
        return elements.compactMap { element in
            guard case .string(let token)? = element["token"], let logprob = element["logprob"]?.numberValue else { return nil }
            let top: [Alternative]
            if case .array(let alternatives)? = element["top_logprobs"] {
                top = alternatives.compactMap { alternative in
                    guard case .string(let text)? = alternative["token"], let value = alternative["logprob"]?.numberValue else {
                        return nil
                    }
                    return Alternative(token: text, logprob: value, bytes: bytes(alternative["bytes"]))
                }
            } else {
                top = []
            }
            return ResultLogprob(token: token, logprob: logprob, bytes: bytes(element["bytes"]), top: top)
        }
    }
}
