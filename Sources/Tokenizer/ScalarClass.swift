/// The character classes the pre-tokenizer expressions use: `\p{L}`, `\p{N}`, `\s` and the rest,
/// from the scalar's general category and White_Space property (ASCII decided without a table
/// lookup, since nearly all text is ASCII).
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
}

/// The finer classes a few expressions use, beyond `ScalarClass`.
extension Unicode.Scalar {
    var isNewline: Bool { self == "\r" || self == "\n" }

    /// `\p{P}`: any punctuation category.
    var isPunctuation: Bool {
        if isASCII {
            // ASCII punctuation that Unicode files under P (the rest of !-/ :-@ [-` {-~ is S).
            return "!\"#%&'()*,-./:;?@[\\]_{}".unicodeScalars.contains(self)
        }
        switch properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// `\p{M}`: a combining mark.
    var isMark: Bool {
        if isASCII { return false }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`: what may start a word in the case-splitting expressions
    /// (Tekken, GPT-4o): letters that are not lowercase, and marks.
    var isUpperSide: Bool {
        if isASCII { return ("A"..."Z").contains(self) }
        switch properties.generalCategory {
        case .uppercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }

    /// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`: what continues such a word: letters that are not upper or
    /// title case, and marks.
    var isLowerSide: Bool {
        if isASCII { return ("a"..."z").contains(self) }
        switch properties.generalCategory {
        case .lowercaseLetter, .modifierLetter, .otherLetter, .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        default:
            return false
        }
    }

    /// Letters with case (Lu, Ll, Lt): the long Latin/Greek/Cyrillic/... range list of DeepSeek
    /// LLM's letter expression is exactly these categories.
    var isCasedLetter: Bool {
        if isASCII { return ("A"..."Z").contains(self) || ("a"..."z").contains(self) }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter: return true
        default: return false
        }
    }

    /// `[一-龥ࠀ-一가-퟿]`: DeepSeek's run of CJK (and other non-Latin) characters.
    var isDeepSeekCJK: Bool {
        (0x0800...0x9FA5).contains(value) || (0xAC00...0xD7FF).contains(value)
    }

    /// `[!-/:-~！-／：-～‘-‟　-。]`: DeepSeek LLM's ASCII and full-width punctuation (the ASCII
    /// ranges include the letters, which an earlier expression has already cut out).
    var isDeepSeekPunctuation: Bool {
        switch value {
        case 0x21...0x2F, 0x3A...0x7E, 0xFF01...0xFF0F, 0xFF1A...0xFF5E, 0x2018...0x201F, 0x3000...0x3002: return true
        default: return false
        }
    }

    /// Falcon's `[\p{P}\$\+<=>\^~\|`]`.
    var isFalconPunctuation: Bool {
        isPunctuation || "$+<=>^~|`".unicodeScalars.contains(self)
    }

    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
