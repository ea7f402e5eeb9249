/// One split expression of a pre-tokenizer, hand-written as a matcher over Unicode scalars
/// (the regular expressions are those of the models' `tokenizer.json`, as llama.cpp's
/// `llama-vocab.cpp` lists them per `tokenizer.ggml.pre`).
///
/// `match(at:end:)` answers what the expression matches starting exactly at a position, trying
/// its alternatives in order as a backtracking regex engine does; `PreTokenizer` searches with it
/// left to right, and text between matches becomes words of its own ("isolated" splitting).
enum SplitRule: Sendable, Equatable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}`
    /// `| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+` (Llama 3: 3 digits; Qwen2: 1)
    case llama3(maxDigits: Int)
    /// Words split at case changes (`HelloWorld` → `Hello`, `World`):
    /// `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+C?`
    /// `|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*C?`
    /// `|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`, where C is an
    /// optional case-insensitive contraction when `contractions` (GPT-4o) and absent (Tekken).
    case caseSplit(maxDigits: Int, contractions: Bool)
    /// `\p{N}`: every digit alone.
    case eachDigit
    /// `\p{N}+`
    case digitRun
    /// `[0-9][0-9][0-9]`
    case asciiDigitTriple
    /// `[\p{P}\$\+<=>\^~\|`]+` (Falcon and llama.cpp's default)
    case falconPunctuation
    /// `[\r\n]`
    case newline
    /// `\s?\p{L}+`
    case spaceAndLetters
    /// `\s?\p{P}+`
    case spaceAndPunctuation
    /// `\s?[A-Za-zµÀ-Ö…]+`: cased letters (DeepSeek LLM)
    case spaceAndCasedLetters
    /// `\s?[!-/:-~！-／：-～‘-‟　-。]+` (DeepSeek LLM)
    case spaceAndDeepSeekPunctuation
    /// `\s+$`: whitespace that ends the word being split
    case trailingWhitespace
    /// `[一-龥ࠀ-一가-퟿]+` (DeepSeek)
    case cjkRun

    /// The end of the match starting at `p` within `p..<end`, or nil (no match, or an empty one).
    func match(_ s: [Unicode.Scalar], _ c: [ScalarClass], at p: Int, end: Int) -> Int? {
        func cls(_ i: Int) -> ScalarClass { i < end ? c[i] : .end }
        func run(from i: Int, while predicate: (Int) -> Bool) -> Int {
            var j = i
            while j < end && predicate(j) { j += 1 }
            return j
        }
        /// `\s?X+`: an optional whitespace character, then a run of X.
        func optionalSpaceThenRun(_ predicate: (Unicode.Scalar) -> Bool) -> Int? {
            if c[p].isWhitespace, p + 1 < end, predicate(s[p + 1]) { return run(from: p + 1) { predicate(s[$0]) } }
            return predicate(s[p]) ? run(from: p) { predicate(s[$0]) } : nil
        }
        switch self {
        case .gpt2:
            if let length = Self.contraction(s, at: p, end: end, caseInsensitive: false) { return p + length }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: decided by the character after the space.
            let lead = s[p] == " " ? cls(p + 1) : c[p]
            if lead.isLetter || lead.isNumber || lead.isOther {
                return run(from: s[p] == " " ? p + 1 : p) { c[$0] == lead }
            }
            return Self.whitespaceEnd(s, c, at: p, end: end, splitsAtNewline: false)
        case .llama3(let maxDigits):
            if let length = Self.contraction(s, at: p, end: end, caseInsensitive: true) { return p + length }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if !s[p].isNewline && !c[p].isNumber && (c[p].isLetter || cls(p + 1).isLetter) {
                return run(from: p + 1) { c[$0].isLetter }
            }
            if c[p].isNumber { return run(from: p) { $0 - p < maxDigits && c[$0].isNumber } }
            if let end = Self.spacePunctuation(s, c, at: p, end: end, trailing: { $0.isNewline }) { return end }
            return Self.whitespaceEnd(s, c, at: p, end: end, splitsAtNewline: true)
        case .caseSplit(let maxDigits, let contractions):
            if var wordEnd = Self.caseWord(s, c, at: p, end: end) {
                if contractions, let length = Self.contraction(s, at: wordEnd, end: end, caseInsensitive: true) {
                    wordEnd += length
                }
                return wordEnd
            }
            if c[p].isNumber { return run(from: p) { $0 - p < maxDigits && c[$0].isNumber } }
            if let end = Self.spacePunctuation(s, c, at: p, end: end, trailing: { $0.isNewline || $0 == "/" }) { return end }
            return Self.whitespaceEnd(s, c, at: p, end: end, splitsAtNewline: true)
        case .eachDigit:
            return c[p].isNumber ? p + 1 : nil
        case .digitRun:
            return c[p].isNumber ? run(from: p) { c[$0].isNumber } : nil
        case .asciiDigitTriple:
            return p + 2 < end && s[p].isASCIIDigit && s[p + 1].isASCIIDigit && s[p + 2].isASCIIDigit ? p + 3 : nil
        case .falconPunctuation:
            return s[p].isFalconPunctuation ? run(from: p) { s[$0].isFalconPunctuation } : nil
        case .newline:
            return s[p].isNewline ? p + 1 : nil
        case .spaceAndLetters:
            if c[p].isWhitespace, cls(p + 1).isLetter { return run(from: p + 1) { c[$0].isLetter } }
            return c[p].isLetter ? run(from: p) { c[$0].isLetter } : nil
        case .spaceAndPunctuation:
            return optionalSpaceThenRun { $0.isPunctuation }
        case .spaceAndCasedLetters:
            return optionalSpaceThenRun { $0.isCasedLetter }
        case .spaceAndDeepSeekPunctuation:
            return optionalSpaceThenRun { $0.isDeepSeekPunctuation }
        case .trailingWhitespace:
            return c[p].isWhitespace && run(from: p) { c[$0].isWhitespace } == end ? end : nil
        case .cjkRun:
            return s[p].isDeepSeekCJK ? run(from: p) { s[$0].isDeepSeekCJK } : nil
        }
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`: the length of the contraction starting at `p`, if any.
    static func contraction(_ s: [Unicode.Scalar], at p: Int, end: Int, caseInsensitive: Bool) -> Int? {
        guard p + 1 < end, s[p] == "'" else { return nil }
        func letter(_ i: Int) -> Unicode.Scalar {
            let scalar = s[i]
            guard caseInsensitive, ("A"..."Z").contains(scalar) else { return scalar }
            return Unicode.Scalar(scalar.value + 32)!
        }
        switch letter(p + 1) {
        case "s", "t", "m", "d": return 2
        default: break
        }
        guard p + 2 < end else { return nil }
        switch (letter(p + 1), letter(p + 2)) {
        case ("r", "e"), ("v", "e"), ("l", "l"): return 3
        default: return nil
        }
    }

    /// ` ?[^\s\p{L}\p{N}]+T*`: an optional space, a run of "other" characters, then any run of
    /// characters `trailing` accepts. A lone space at the end matches too (as `\s+` would).
    private static func spacePunctuation(_ s: [Unicode.Scalar], _ c: [ScalarClass], at p: Int, end: Int,
                                         trailing: (Unicode.Scalar) -> Bool) -> Int? {
        let start = s[p] == " " ? p + 1 : p
        let lead = start < end ? c[start] : .end
        guard lead.isOther || (s[p] == " " && lead == .end) else { return nil }
        var j = start
        while j < end && c[j].isOther { j += 1 }
        while j < end && trailing(s[j]) { j += 1 }
        return j
    }

    /// The whitespace alternatives: `\s*[\r\n]+` (when `splitsAtNewline`) up to the last newline
    /// of the run; else `\s+(?!\S)`, which leaves the run's last character to the word that
    /// follows; else `\s+`. Nil when `p` is not whitespace.
    private static func whitespaceEnd(_ s: [Unicode.Scalar], _ c: [ScalarClass], at p: Int, end: Int,
                                      splitsAtNewline: Bool) -> Int? {
        var j = p
        var afterLastNewline = -1
        while j < end && c[j].isWhitespace {
            if s[j].isNewline { afterLastNewline = j + 1 }
            j += 1
        }
        if splitsAtNewline && afterLastNewline >= 0 { return afterLastNewline }
        let count = j - p
        if count > 1 && j < end { return j - 1 }
        return count > 0 ? j : nil
    }

    /// The two word alternatives of the case-splitting expressions, each with and without the
    /// optional leading character, in the order a backtracking engine tries them.
    private static func caseWord(_ s: [Unicode.Scalar], _ c: [ScalarClass], at p: Int, end: Int) -> Int? {
        let canLead = !s[p].isNewline && !c[p].isLetter && !c[p].isNumber
        let starts = canLead ? [p + 1, p] : [p]
        // `U*L+`: the longest U run, then backing off until an L can follow; L+ is greedy.
        for q in starts {
            var i = q
            while i < end && s[i].isUpperSide { i += 1 }
            var k = i
            while k >= q {
                if k < end && s[k].isLowerSide {
                    var j = k
                    while j < end && s[j].isLowerSide { j += 1 }
                    return j
                }
                k -= 1
            }
        }
        // `U+L*`
        for q in starts {
            var i = q
            while i < end && s[i].isUpperSide { i += 1 }
            if i > q {
                while i < end && s[i].isLowerSide { i += 1 }
                return i
            }
        }
        return nil
    }
}
