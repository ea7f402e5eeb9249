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

/// A rendered chat prompt, encoded by `Tokenizer.encode(_: ChatPrompt)`: its control tokens
/// are written as text, and count only where the template wrote them (`templateRanges`), never
/// inside a message, whose text is data.
public struct ChatPrompt: Sendable, Equatable {
    public private(set) var text: String
    /// The format starts with BOS, which is not written in `text`: the tokenizer must add it.
    public var addsBOS: Bool
    /// UTF-8 byte ranges of `text` the template wrote (turn markers, role names); the rest is
    /// message content.
    public private(set) var templateRanges: [Range<Int>] = []
    private var byteCount = 0

    /// An empty prompt, to build with `appendTemplate` and `appendContent`.
    public init(addsBOS: Bool) {
        text = ""
        self.addsBOS = addsBOS
    }

    /// Appends text of the template's own, whose control tokens count.
    public mutating func appendTemplate(_ part: String) {
        let count = part.utf8.count
        guard count > 0 else { return }
        if let last = templateRanges.last, last.upperBound == byteCount {
            templateRanges[templateRanges.count - 1] = last.lowerBound..<byteCount + count
        } else {
            templateRanges.append(byteCount..<byteCount + count)
        }
        text += part
        byteCount += count
    }

    /// Appends message content: plain text, whatever it says.
    public mutating func appendContent(_ part: String) {
        text += part
        byteCount += part.utf8.count
    }
}
