import JSON
import JobStore

/// What a `/v1/responses` line asked for beyond the conversation, kept to write its result in
/// OpenAI's Responses shape (`instructions` is echoed there as given).
public struct ResponsesRequest: Equatable, Sendable {
    /// `instructions` as written; also the conversation's system message.
    public var instructions: String?

    public init(instructions: String? = nil) {
        self.instructions = instructions
    }

    var canonicalValue: JSONValue {
        .object(instructions.map { [JSONMember("instructions", .string($0))] } ?? [])
    }

    init(canonicalValue: JSONValue) {
        if case .string(let text)? = canonicalValue["instructions"] { instructions = text }
    }
}
