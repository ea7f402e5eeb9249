import GGUF

/// The turn formats `/v1/chat/completions` jobs can be rendered in.
public enum ChatFormat: Sendable, Equatable, CaseIterable {
    /// `<start_of_turn>user\n…<end_of_turn>\n`, assistant turns as `model`, the system message
    /// folded into the first user turn (Gemma 1–3).
    case gemma
    /// `<|start_header_id|>role<|end_header_id|>\n\n…<|eot_id|>` (Llama 3).
    case llama3
    /// `<|im_start|>role\n…<|im_end|>\n` (ChatML: Qwen2).
    case chatML
    /// `<|role|>\n…<|end|>\n` (Phi-3, Phi-3.5), as llama.cpp's `phi3` chat template.
    case phi3

    public var name: String {
        switch self {
        case .gemma: return "Gemma"
        case .llama3: return "Llama 3"
        case .chatML: return "ChatML"
        case .phi3: return "Phi-3"
        }
    }

    /// A piece of the Jinja source that only this family's template contains (a control token of
    /// the vocabularies that use the format).
    public var templateMarker: String {
        switch self {
        case .gemma: return "<start_of_turn>"
        case .llama3: return "<|start_header_id|>"
        case .chatML: return "<|im_start|>"
        case .phi3: return "<|end|>"
        }
    }
}

/// Renders chat messages into a prompt in a model's turn format.
///
/// The format is recognised from the file's Jinja template (`tokenizer.chat_template`) by a
/// marker only that family uses, not by running the template: the three supported families
/// render the same way whatever their template's details. A file without a template gets its
/// architecture's known format, and `note` says so for the log.
///
/// What the template writes besides the turns is read from its text (`TemplateDefaults`): a
/// default system message (Qwen2.5's "You are Qwen, created by Alibaba Cloud. ...") is rendered
/// when the conversation has none, as llama.cpp and Hugging Face render it; what cannot be
/// followed is listed in `limitations` for `jobs doctor`.
public struct ChatTemplate: Sendable, Equatable {
    public let format: ChatFormat
    /// Set when the format was chosen without a template in the file: worth logging once.
    public let note: String?
    /// The system message the template writes when the conversation starts without one.
    public let defaultSystemMessage: String?
    /// What the file's template renders that our prompts leave out, one sentence each.
    public let limitations: [String]

    public init(format: ChatFormat, note: String? = nil, defaultSystemMessage: String? = nil,
                limitations: [String] = []) {
        self.format = format
        self.note = note
        self.defaultSystemMessage = defaultSystemMessage
        self.limitations = limitations
    }

    /// The format for a model file: from its `tokenizer.chat_template`, else its architecture.
    /// The format of `file`: from its template, else `fallback`, the format its family's
    /// registry entry names for files without one (Model's `FamilyFacts`).
    public static func detect(in file: GGUFFile, fallback: ChatFormat?) throws -> ChatTemplate {
        let template = try file.metadata[GGUFKey.chatTemplate].map { _ in
            try file.metadata.requireString(GGUFKey.chatTemplate)
        }
        return try detect(template: template, fallback: fallback, architecture: file.architecture ?? "unknown",
                          source: file.path)
    }

    /// Picks the format from `template` (the Jinja source, nil when the file has none) or, failing
    /// that, `fallback`; `architecture` names the family in the error when there is neither.
    public static func detect(template: String?, fallback: ChatFormat?, architecture: String,
                              source: String) throws(TokenizerError) -> ChatTemplate {
        if let template, !template.allSatisfy(\.isWhitespace) {
            for format in ChatFormat.allCases where template.contains(format.templateMarker) {
                let defaults = TemplateDefaults(template: template, format: format)
                return ChatTemplate(format: format, defaultSystemMessage: defaults.systemMessage,
                                    limitations: defaults.limitations)
            }
            throw .unknownChatTemplate(source: source, firstLine: firstLine(of: template))
        }
        guard let format = fallback else { throw .noChatTemplate(source: source, architecture: architecture) }
        return ChatTemplate(format: format,
                            note: "no chat template in \(source); using the \(format.name) turn format")
    }

    /// The prompt for the next assistant turn after `messages`.
    public func render(_ messages: [ChatMessage]) throws(TokenizerError) -> ChatPrompt {
        if messages.isEmpty { throw .emptyConversation }
        for (index, message) in messages.enumerated().dropFirst() where message.role == .system {
            throw .systemMessageNotFirst(index: index)
        }
        // Indexes in errors count the caller's messages, not the default system message.
        var messages = messages
        var added = 0
        if let defaultSystemMessage, messages[0].role != .system {
            messages.insert(ChatMessage(role: .system, content: defaultSystemMessage), at: 0)
            added = 1
        }
        switch format {
        case .gemma: return try renderGemma(messages, added: added)
        case .llama3: return renderLlama3(messages)
        case .chatML: return renderChatML(messages)
        case .phi3: return renderPhi3(messages)
        }
    }

    /// Gemma's template: the system text and a blank line open the first user turn; the other
    /// turns must alternate user/model; contents are trimmed.
    private func renderGemma(_ messages: [ChatMessage], added: Int) throws(TokenizerError) -> ChatPrompt {
        var turns = messages[...]
        var systemPrefix = ""
        if let first = turns.first, first.role == .system {
            systemPrefix = first.content + "\n\n"
            turns = turns.dropFirst()
        }
        if turns.isEmpty { throw .emptyConversation }
        var segments: [ChatPrompt.Segment] = []
        for (offset, message) in turns.enumerated() {
            let expected: ChatRole = offset % 2 == 0 ? .user : .assistant
            if message.role != expected {
                throw .rolesMustAlternate(index: turns.startIndex + offset - added, expected: expected, found: message.role)
            }
            let role = message.role == .assistant ? "model" : "user"
            segments += [.marker("<start_of_turn>"), .text(role + "\n"),
                         .text((offset == 0 ? systemPrefix : "") + trimmed(message.content)),
                         .marker("<end_of_turn>"), .text("\n")]
        }
        segments += [.marker("<start_of_turn>"), .text("model\n")]
        return ChatPrompt(segments: segments, addsBOS: true)
    }

    /// Llama 3's template writes `<|begin_of_text|>` first: left to the tokenizer's BOS so it is
    /// never doubled.
    private func renderLlama3(_ messages: [ChatMessage]) -> ChatPrompt {
        var segments: [ChatPrompt.Segment] = []
        for message in messages {
            segments += [.marker("<|start_header_id|>"), .text(message.role.rawValue),
                         .marker("<|end_header_id|>"), .text("\n\n"), .text(trimmed(message.content)),
                         .marker("<|eot_id|>")]
        }
        segments += [.marker("<|start_header_id|>"), .text("assistant"), .marker("<|end_header_id|>"),
                     .text("\n\n")]
        return ChatPrompt(segments: segments, addsBOS: true)
    }

    private func renderChatML(_ messages: [ChatMessage]) -> ChatPrompt {
        var segments: [ChatPrompt.Segment] = []
        for message in messages {
            segments += [.marker("<|im_start|>"), .text(message.role.rawValue + "\n"), .text(message.content),
                         .marker("<|im_end|>"), .text("\n")]
        }
        segments += [.marker("<|im_start|>"), .text("assistant\n")]
        return ChatPrompt(segments: segments, addsBOS: false)
    }

    /// Phi-3's template: each turn `<|role|>` and a newline, the content, `<|end|>` and a
    /// newline; the system message is a turn of its own. BOS first where the vocabulary adds it.
    private func renderPhi3(_ messages: [ChatMessage]) -> ChatPrompt {
        var segments: [ChatPrompt.Segment] = []
        for message in messages {
            segments += [.marker("<|" + message.role.rawValue + "|>"), .text("\n"), .text(message.content),
                         .marker("<|end|>"), .text("\n")]
        }
        segments += [.marker("<|assistant|>"), .text("\n")]
        return ChatPrompt(segments: segments, addsBOS: true)
    }
}

/// Jinja's `trim`: leading and trailing whitespace removed.
private func trimmed(_ text: String) -> String {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
          let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
    return String(scalars[first...last])
}

/// The first non-blank line of a template, shortened for an error message.
private func firstLine(of template: String) -> String {
    let line = template.split(whereSeparator: \.isNewline)
        .first { !$0.allSatisfy(\.isWhitespace) }.map(String.init) ?? ""
    return line.count > 80 ? String(line.prefix(80)) + "…" : line
}
