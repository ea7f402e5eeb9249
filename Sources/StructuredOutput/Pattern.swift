/// A JSON Schema `pattern` (ECMA-262 syntax), parsed for the subset the grammar can enforce:
/// literals and escapes, `.`, character classes (`[a-z]`, `[^"]`, `\d \w \s` and their
/// negations), groups (`(...)`, `(?:...)`), alternation, the quantifiers `? * + {m} {m,}
/// {m,n}` (lazy forms too: they match the same strings), and `^`/`$` at the start and end of
/// the pattern or of one of its top-level alternatives.
///
/// Refused, with `PatternError`: backreferences, lookaround, word boundaries, named groups,
/// Unicode property escapes, and anchors anywhere else. As in JSON Schema, a pattern matches
/// anywhere in the string unless anchored.
indirect enum Pattern: Equatable, Sendable {
    case characters(CodePointSet)
    case sequence([Pattern])
    case alternation([Pattern])
    case repetition(Pattern, minimum: Int, maximum: Int?)
    case startAnchor
    case endAnchor

    /// Largest count a quantifier may give: each count is a grammar rule.
    static let maximumRepetition = 256

    static func parse(_ text: String) throws(PatternError) -> Pattern {
        var parser = PatternParser(scalars: Array(text.unicodeScalars))
        let pattern = try parser.parseAlternation()
        if parser.index < parser.scalars.count {
            throw PatternError(offset: parser.index, problem: "unbalanced \")\"")
        }
        return pattern
    }

    /// `.`: any character but line terminators.
    static let dot = CodePointSet([0...0x09, 0x0B...0x0C, 0x0E...0x2027, 0x202A...CodePointSet.maximum])
    static let digits = CodePointSet([0x30...0x39])
    static let word = CodePointSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    static let space = CodePointSet([0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A,
                                     0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000,
                                     0xFEFF...0xFEFF])
}

/// Why a pattern was refused; `offset` counts characters from the start of the pattern.
public struct PatternError: Error, Equatable, Sendable, CustomStringConvertible {
    public var offset: Int
    public var problem: String

    public var description: String { "\(problem) at character \(offset + 1) of the pattern" }
}

struct PatternParser {
    let scalars: [Unicode.Scalar]
    var index = 0

    init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private func fail(_ problem: String, at offset: Int? = nil) -> PatternError {
        PatternError(offset: offset ?? index, problem: problem)
    }

    mutating func parseAlternation() throws(PatternError) -> Pattern {
        var options = [try parseSequence()]
        while current == "|" {
            index += 1
            options.append(try parseSequence())
        }
        return options.count == 1 ? options[0] : .alternation(options)
    }

    private mutating func parseSequence() throws(PatternError) -> Pattern {
        var items: [Pattern] = []
        while let scalar = current, scalar != "|", scalar != ")" {
            var atom = try parseAtom()
            atom = try parseQuantifier(atom)
            items.append(atom)
        }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    private mutating func parseQuantifier(_ atom: Pattern) throws(PatternError) -> Pattern {
        guard let scalar = current else { return atom }
        let start = index
        var minimum = 0, maximum: Int?
        switch scalar {
        case "?": maximum = 1; index += 1
        case "*": index += 1
        case "+": minimum = 1; index += 1
        case "{":
            guard let (low, high) = try parseBraces() else { return atom }
            minimum = low
            maximum = high
        default: return atom
        }
        if atom == .startAnchor || atom == .endAnchor { throw fail("a quantifier after an anchor", at: start) }
        if current == "?" { index += 1 }  // lazy: the same strings match
        if current == "*" || current == "+" || current == "?" || current == "{" {
            throw fail("two quantifiers in a row")
        }
        return .repetition(atom, minimum: minimum, maximum: maximum)
    }

    /// `{m}`, `{m,}`, `{m,n}`; nil (and nothing consumed) when the brace is a literal.
    private mutating func parseBraces() throws(PatternError) -> (Int, Int?)? {
        let start = index
        index += 1
        func number() -> Int? {
            var value: Int?
            while let scalar = current, let digit = Int(String(scalar)), scalar.isASCII {
                value = (value ?? 0) * 10 + digit
                if value! > 1_000_000 { value = 1_000_000 }
                index += 1
            }
            return value
        }
        guard let low = number() else { index = start; return nil }
        var high: Int? = low
        if current == "," {
            index += 1
            high = number()
        }
        guard current == "}" else { index = start; return nil }
        index += 1
        if let high, high < low { throw fail("{\(low),\(high)}: the numbers are out of order", at: start) }
        if max(low, high ?? 0) > Pattern.maximumRepetition {
            throw fail("repetition counts above \(Pattern.maximumRepetition) are not supported", at: start)
        }
        return (low, high)
    }

    private mutating func parseAtom() throws(PatternError) -> Pattern {
        let start = index
        let scalar = scalars[index]
        index += 1
        switch scalar {
        case "^": return .startAnchor
        case "$": return .endAnchor
        case ".": return .characters(Pattern.dot)
        case "(":
            if current == "?" {
                if index + 1 < scalars.count, scalars[index + 1] == ":" {
                    index += 2
                } else {
                    throw fail("lookaround and named groups are not supported", at: start)
                }
            }
            let inner = try parseAlternation()
            guard current == ")" else { throw fail("missing \")\"", at: start) }
            index += 1
            return inner
        case "[": return .characters(try parseClass(start: start))
        case "\\": return .characters(try parseEscape(inClass: false))
        case "*", "+", "?": throw fail("nothing to repeat", at: start)
        case "{":
            index = start
            if try parseBraces() != nil { throw fail("nothing to repeat", at: start) }
            index = start + 1
            return .characters(CodePointSet([scalar.value...scalar.value]))
        default:
            return .characters(CodePointSet([scalar.value...scalar.value]))
        }
    }

    private mutating func parseClass(start: Int) throws(PatternError) -> CodePointSet {
        var negated = false
        if current == "^" {
            negated = true
            index += 1
        }
        var set = CodePointSet()
        var first = true
        while true {
            guard let scalar = current else { throw fail("missing \"]\"", at: start) }
            if scalar == "]" && !first { index += 1; break }
            first = false
            let low = try classAtom()
            if current == "-", index + 1 < scalars.count, scalars[index + 1] != "]" {
                index += 1
                let high = try classAtom()
                guard let a = single(low), let b = single(high) else {
                    throw fail("a range in a class must be between two characters")
                }
                guard a <= b else { throw fail("a range in a class is out of order") }
                set.insert(a...b)
            } else {
                set.formUnion(low)
            }
        }
        return negated ? set.inverted : set
    }

    private func single(_ set: CodePointSet) -> UInt32? {
        guard set.ranges.count == 1, set.ranges[0].lowerBound == set.ranges[0].upperBound else { return nil }
        return set.ranges[0].lowerBound
    }

    private mutating func classAtom() throws(PatternError) -> CodePointSet {
        let scalar = scalars[index]
        index += 1
        if scalar == "\\" { return try parseEscape(inClass: true) }
        return CodePointSet([scalar.value...scalar.value])
    }

    /// The escape after a backslash, as a set of characters.
    private mutating func parseEscape(inClass: Bool) throws(PatternError) -> CodePointSet {
        let start = index - 1
        guard let scalar = current else { throw fail("a pattern cannot end with \"\\\"", at: start) }
        index += 1
        func one(_ value: UInt32) -> CodePointSet { CodePointSet([value...value]) }
        switch scalar {
        case "d": return Pattern.digits
        case "D": return Pattern.digits.inverted
        case "w": return Pattern.word
        case "W": return Pattern.word.inverted
        case "s": return Pattern.space
        case "S": return Pattern.space.inverted
        case "n": return one(0x0A)
        case "r": return one(0x0D)
        case "t": return one(0x09)
        case "f": return one(0x0C)
        case "v": return one(0x0B)
        case "0": return one(0)
        case "b" where inClass: return one(0x08)
        case "b", "B": throw fail("word boundaries (\\b, \\B) are not supported", at: start)
        case "x": return one(try hex(count: 2, start: start))
        case "u":
            if current == "{" { throw fail("\\u{...} escapes are not supported; write the character", at: start) }
            return one(try hex(count: 4, start: start))
        case "p", "P": throw fail("Unicode property escapes (\\p{...}) are not supported", at: start)
        case "1"..."9": throw fail("backreferences are not supported", at: start)
        case "k": throw fail("named backreferences are not supported", at: start)
        case "c": throw fail("control escapes (\\cX) are not supported", at: start)
        default:
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                throw fail("unknown escape \"\\\(scalar)\"", at: start)
            }
            return one(scalar.value)
        }
    }

    private mutating func hex(count: Int, start: Int) throws(PatternError) -> UInt32 {
        guard index + count <= scalars.count,
              let value = UInt32(String(String.UnicodeScalarView(scalars[index..<index + count])), radix: 16) else {
            throw fail("a \\x escape takes 2 and a \\u escape 4 hexadecimal digits", at: start)
        }
        index += count
        return value
    }
}
