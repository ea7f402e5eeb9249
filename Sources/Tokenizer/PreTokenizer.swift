/// The pre-tokenizers of byte-level BPE vocabularies, chosen by `tokenizer.ggml.pre`: they cut
/// text into words before merging, so merges never cross word boundaries.
///
/// Each is a hand-written scanner over Unicode scalars equivalent to its regular expression
/// (as llama.cpp's custom splitters are), with `\p{L}`, `\p{N}` and `\s` from the scalar's
/// general category and White_Space property. Text the expression does not match becomes a
/// word of its own, as in llama.cpp and Hugging Face tokenizers.
enum PreTokenizer: Sendable, Equatable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*`
    /// `|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3
    /// As `llama3` but digits one at a time: `\p{N}` instead of `\p{N}{1,3}`.
    case qwen2

    static let supportedNames = ["gpt-2", "default", "llama-bpe", "llama3", "llama-v3", "qwen2"]

    init?(name: String) {
        switch name {
        case "gpt-2", "default": self = .gpt2
        case "llama-bpe", "llama3", "llama-v3": self = .llama3
        case "qwen2": self = .qwen2
        default: return nil
        }
    }

    /// Llama 3 vocabularies emit a word that is itself a piece without merging (`ignore_merges`).
    var ignoresMerges: Bool { self == .llama3 }

    /// BOS is added unless `tokenizer.ggml.add_bos_token` says otherwise.
    var addsBOSByDefault: Bool { self == .llama3 }

    /// Word boundaries as ranges of indices into `scalars`, in order, covering every scalar.
    func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let classes = scalars.map(ScalarClass.init)
        switch self {
        case .gpt2: return Self.splitGPT2(scalars, classes)
        case .llama3: return Self.splitLlama3(scalars, classes, maxDigits: 3)
        case .qwen2: return Self.splitLlama3(scalars, classes, maxDigits: 1)
        }
    }

    private static func splitGPT2(_ scalars: [Unicode.Scalar], _ classes: [ScalarClass]) -> [Range<Int>] {
        let n = scalars.count
        var words = WordCollector()
        func classAt(_ i: Int) -> ScalarClass { i < n ? classes[i] : .end }
        var position = 0
        while position < n {
            let scalar = scalars[position]
            if let length = contraction(scalars, at: position, caseInsensitive: false) {
                position += length
                words.end(at: position)
                continue
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of
            // one class, decided by the character after the space.
            let lead = scalar == " " ? classAt(position + 1) : classes[position]
            if lead.isLetter || lead.isNumber || lead.isOther {
                if scalar == " " { position += 1 }
                while classAt(position).sameRun(as: lead) { position += 1 }
                words.end(at: position)
                continue
            }
            if let end = whitespaceRunEnd(scalars, classes, at: position, splitsAtNewline: false) {
                position = end
            } else {
                position += 1
            }
            words.end(at: position)
        }
        return words.ranges
    }

    private static func splitLlama3(_ scalars: [Unicode.Scalar], _ classes: [ScalarClass],
                                    maxDigits: Int) -> [Range<Int>] {
        let n = scalars.count
        var words = WordCollector()
        func classAt(_ i: Int) -> ScalarClass { i < n ? classes[i] : .end }
        func isNewline(_ i: Int) -> Bool { i < n && (scalars[i] == "\r" || scalars[i] == "\n") }
        var position = 0
        while position < n {
            let current = classes[position]
            if let length = contraction(scalars, at: position, caseInsensitive: true) {
                position += length
                words.end(at: position)
                continue
            }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if !isNewline(position) && !current.isNumber
                && (current.isLetter || classAt(position + 1).isLetter) {
                position += 1
                while classAt(position).isLetter { position += 1 }
                words.end(at: position)
                continue
            }
            // `\p{N}{1,maxDigits}`, repeatedly
            if current.isNumber {
                var runStart = position
                while classAt(position).isNumber {
                    position += 1
                    if position - runStart >= maxDigits {
                        words.end(at: position)
                        runStart = position
                    }
                }
                words.end(at: position)
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let lead = scalars[position] == " " ? classAt(position + 1) : current
            if lead.isOther || (scalars[position] == " " && lead == .end) {
                if scalars[position] == " " { position += 1 }
                while classAt(position).isOther { position += 1 }
                while isNewline(position) { position += 1 }
                words.end(at: position)
                continue
            }
            if let end = whitespaceRunEnd(scalars, classes, at: position, splitsAtNewline: true) {
                position = end
            } else {
                position += 1
            }
            words.end(at: position)
        }
        return words.ranges
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`: the length of the contraction starting at `position`, if any.
    private static func contraction(_ scalars: [Unicode.Scalar], at position: Int,
                                    caseInsensitive: Bool) -> Int? {
        guard scalars[position] == "'", position + 1 < scalars.count else { return nil }
        func letter(_ i: Int) -> Unicode.Scalar {
            let scalar = scalars[i]
            guard caseInsensitive, ("A"..."Z").contains(scalar) else { return scalar }
            return Unicode.Scalar(scalar.value + 32)!
        }
        switch letter(position + 1) {
        case "s", "t", "m", "d": return 2
        default: break
        }
        guard position + 2 < scalars.count else { return nil }
        switch (letter(position + 1), letter(position + 2)) {
        case ("r", "e"), ("v", "e"), ("l", "l"): return 3
        default: return nil
        }
    }

    /// The end of the whitespace word starting at `position`, or nil if there is no whitespace:
    /// `\s*[\r\n]+` (when `splitsAtNewline`) up to the last newline of the run; else
    /// `\s+(?!\S)`, which leaves the run's last character to the word that follows; else `\s+`.
    private static func whitespaceRunEnd(_ scalars: [Unicode.Scalar], _ classes: [ScalarClass],
                                         at position: Int, splitsAtNewline: Bool) -> Int? {
        var end = position
        var afterLastNewline = -1
        while end < scalars.count && classes[end].isWhitespace {
            if scalars[end] == "\r" || scalars[end] == "\n" { afterLastNewline = end + 1 }
            end += 1
        }
        if splitsAtNewline && afterLastNewline >= 0 { return afterLastNewline }
        let count = end - position
        if count > 1 && end < scalars.count { return end - 1 }
        return count > 0 ? end : nil
    }
}

/// The character classes the pre-tokenizer expressions use.
enum ScalarClass: Equatable {
    case letter      // \p{L}
    case number      // \p{N}
    case whitespace  // \s (White_Space)
    case other       // [^\s\p{L}\p{N}]
    case end         // past the end of the text

    init(_ scalar: Unicode.Scalar) {
        if scalar.isASCII {
            switch scalar.value {
            case 0x41...0x5A, 0x61...0x7A: self = .letter
            case 0x30...0x39: self = .number
            case 0x09...0x0D, 0x20: self = .whitespace
            default: self = .other
            }
            return
        }
        let properties = scalar.properties
        if properties.isWhitespace {
            self = .whitespace
            return
        }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }

    var isLetter: Bool { self == .letter }
    var isNumber: Bool { self == .number }
    var isWhitespace: Bool { self == .whitespace }
    var isOther: Bool { self == .other }

    func sameRun(as lead: ScalarClass) -> Bool { self == lead }
}

/// Turns a sequence of word ends into ranges, dropping empty words.
private struct WordCollector {
    var ranges: [Range<Int>] = []
    private var start = 0

    mutating func end(at position: Int) {
        if position > start { ranges.append(start..<position) }
        start = position
    }
}
