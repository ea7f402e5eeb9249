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
