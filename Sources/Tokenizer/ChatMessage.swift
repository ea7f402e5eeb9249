/// Who wrote a chat message, as in the OpenAI chat completions format.
public enum ChatRole: String, Sendable, Equatable, CaseIterable {
    case system
    case user
    case assistant
}

/// One message of a `/v1/chat/completions` job.
public struct ChatMessage: Sendable, Equatable {
    public var role: ChatRole
    public var content: String

    public init(role: ChatRole, content: String) {
        self.role = role
        self.content = content
    }
}

/// A rendered chat prompt, ready to encode with `parseSpecial: true` (its control tokens are
/// written as text) and `addSpecial: addsBOS`.
public struct ChatPrompt: Sendable, Equatable {
    public var text: String
    /// The format starts with BOS, which is not written in `text`: the tokenizer must add it.
    public var addsBOS: Bool

    public init(text: String, addsBOS: Bool) {
        self.text = text
        self.addsBOS = addsBOS
    }
}
