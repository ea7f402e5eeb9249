/// A rendered chat prompt: the chat format's own turn markers and everything else (role names,
/// message content) kept apart, so message content is always tokenized as text.
///
/// Rendering to one string and tokenizing it with control tokens recognised (what llama.cpp's
/// server and Hugging Face's `apply_chat_template(tokenize=True)` do) lets a message that
/// contains `<end_of_turn>` or `<|im_start|>` close its own turn and write a fake one: text from
/// a customer review or a scraped page becomes control tokens. Here only `.marker` segments,
/// written by `ChatTemplate` itself, are ever matched against control tokens.
public struct ChatPrompt: Sendable, Equatable {
    public enum Segment: Sendable, Equatable {
        /// A turn marker of the chat format (`<start_of_turn>`, `<|eot_id|>`, `<|im_start|>`).
        case marker(String)
        /// Text that is never parsed for control tokens.
        case text(String)
    }

    public var segments: [Segment]
    /// The format starts with BOS, which is not in `segments`: the tokenizer adds it when its
    /// vocabulary asks for BOS.
    public var addsBOS: Bool

    public init(segments: [Segment], addsBOS: Bool) {
        self.segments = segments
        self.addsBOS = addsBOS
    }

    /// The prompt as one string (for logs and tests). Encoding this string with control tokens
    /// parsed is exactly what `tokens(using:)` avoids.
    public var text: String {
        segments.map { segment in
            switch segment {
            case .marker(let marker): return marker
            case .text(let text): return text
            }
        }.joined()
    }

    /// Token ids: BOS (when `addsBOS` and the vocabulary adds one), then each marker with control
    /// tokens recognised and each run of adjacent text segments with none recognised.
    ///
    /// For a conversation whose content holds no control-token text this is the same as encoding
    /// `text` with `parseSpecial: true`: both tokenizers encode the text between special tokens
    /// fragment by fragment, and adjacent text segments are joined into one fragment here.
    public func tokens(using tokenizer: any Tokenizer) -> [Int32] {
        var tokens: [Int32] = []
        if addsBOS && tokenizer.addsBOS, let bos = tokenizer.bosToken { tokens.append(bos) }
        var pendingText = ""
        for segment in segments {
            switch segment {
            case .text(let text):
                pendingText += text
            case .marker(let marker):
                if !pendingText.isEmpty {
                    tokens += tokenizer.encode(pendingText, addSpecial: false, parseSpecial: false)
                    pendingText = ""
                }
                tokens += tokenizer.encode(marker, addSpecial: false, parseSpecial: true)
            }
        }
        if !pendingText.isEmpty {
            tokens += tokenizer.encode(pendingText, addSpecial: false, parseSpecial: false)
        }
        return tokens
    }
}
