/// What a chat template renders beyond the turns themselves, read from the template's own text
/// (not from a per-family list): the system message it writes for a conversation without one,
/// and the parts it renders that `ChatTemplate` cannot follow.
///
/// Templates are Jinja, which we do not run; the default system message is the one construct
/// families share. Qwen2.5 writes
/// `'<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n'`
/// and SmolLM2 a similar literal when `messages[0]` is not a system message: a string literal
/// that opens a system turn and closes it around constant text.
struct TemplateDefaults: Sendable, Equatable {
    var systemMessage: String?
    /// Sentences for `jobs doctor`: what the template renders that our prompts leave out.
    var limitations: [String]

    init(template: String, format: ChatFormat) {
        let literals = TemplateDefaults.stringLiterals(in: template)
        systemMessage = TemplateDefaults.systemMessage(in: literals, format: format)
        var limitations: [String] = []
        if template.contains("date_string") || template.contains("strftime_now") {
            limitations.append("the template writes a dated system preamble (today's date, a knowledge cut-off) "
                + "that chat prompts here leave out")
        }
        self.limitations = limitations
    }

    /// The text between a system turn's opening and its end marker inside one literal, when it
    /// is not blank.
    private static func systemMessage(in literals: [String], format: ChatFormat) -> String? {
        let (opening, closing): (String, String) = switch format {
        case .chatML: ("<|im_start|>system\n", "<|im_end|>")
        case .llama3: ("<|start_header_id|>system<|end_header_id|>\n\n", "<|eot_id|>")
        case .gemma: ("<start_of_turn>system\n", "<end_of_turn>")
        case .phi3: ("<|system|>\n", "<|end|>")
        }
        for literal in literals where literal.hasPrefix(opening) {
            let rest = literal.dropFirst(opening.count)
            guard let end = rest.range(of: closing) else { continue }
            let text = String(rest[..<end.lowerBound])
            if !text.allSatisfy(\.isWhitespace) { return text }
        }
        return nil
    }

    /// Jinja string literals (single or double quoted) with their escapes decoded, in order.
    /// Text outside `{{ }}` and `{% %}` is not scanned: quotes in it are plain text.
    static func stringLiterals(in template: String) -> [String] {
        var literals: [String] = []
        var characters = template.unicodeScalars[...]
        var inCode = false
        while let scalar = characters.popFirst() {
            if !inCode {
                if scalar == "{", let next = characters.first, next == "{" || next == "%" {
                    characters.removeFirst()
                    inCode = true
                }
                continue
            }
            switch scalar {
            case "}", "%":
                if characters.first == "}" {
                    characters.removeFirst()
                    inCode = false
                }
            case "'", "\"":
                var literal = String.UnicodeScalarView()
                while let inner = characters.popFirst(), inner != scalar {
                    guard inner == "\\", let escaped = characters.popFirst() else {
                        literal.append(inner)
                        continue
                    }
                    switch escaped {
                    case "n": literal.append("\n")
                    case "t": literal.append("\t")
                    case "r": literal.append("\r")
                    default: literal.append(escaped)
                    }
                }
                literals.append(String(literal))
            default:
                break
            }
        }
        return literals
    }
}
