/// A set of Unicode scalar values as sorted, disjoint, non-adjacent closed ranges: the
/// character classes of patterns, and the characters a JSON string may hold.
struct CodePointSet: Equatable, Sendable {
    static let maximum: UInt32 = 0x10FFFF
    private(set) var ranges: [ClosedRange<UInt32>] = []

    init() {}

    init(_ ranges: [ClosedRange<UInt32>]) {
        for range in ranges { insert(range) }
    }

    static let all = CodePointSet([0...maximum])

    mutating func insert(_ range: ClosedRange<UInt32>) {
        var merged = range
        var kept: [ClosedRange<UInt32>] = []
        for existing in ranges {
            if existing.upperBound &+ 1 < merged.lowerBound || merged.upperBound &+ 1 < existing.lowerBound {
                kept.append(existing)
            } else {
                merged = min(existing.lowerBound, merged.lowerBound)...max(existing.upperBound, merged.upperBound)
            }
        }
        kept.append(merged)
        ranges = kept.sorted { $0.lowerBound < $1.lowerBound }
    }

    mutating func insert(_ scalar: UInt32) { insert(scalar...scalar) }

    mutating func formUnion(_ other: CodePointSet) {
        for range in other.ranges { insert(range) }
    }

    /// Every scalar value in 0...0x10FFFF not in the set.
    var inverted: CodePointSet {
        var result = CodePointSet()
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.ranges.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= Self.maximum { result.ranges.append(next...Self.maximum) }
        return result
    }

    func subtracting(_ other: CodePointSet) -> CodePointSet {
        intersection(other.inverted)
    }

    func intersection(_ other: CodePointSet) -> CodePointSet {
        var result = CodePointSet()
        for a in ranges {
            for b in other.ranges {
                let low = max(a.lowerBound, b.lowerBound), high = min(a.upperBound, b.upperBound)
                if low <= high { result.ranges.append(low...high) }
            }
        }
        result.ranges.sort { $0.lowerBound < $1.lowerBound }
        return result
    }

    func contains(_ scalar: UInt32) -> Bool { ranges.contains { $0.contains(scalar) } }

    var isEmpty: Bool { ranges.isEmpty }
}

/// How characters of a JSON string are written, as grammar: one canonical form per character.
///
/// `"` and `\` are escaped (`\"`, `\\`), newline, carriage return and tab as `\n`, `\r`, `\t`;
/// other control characters (and the surrogate code points, which are not characters) are left
/// out; everything else is written as its UTF-8 bytes. A schema's string then validates by
/// what it means, and a model cannot spend tokens on `\u` escapes of letters.
enum JSONStringCharacters {
    /// Characters of a string with no constraint.
    static let any = CodePointSet([0...CodePointSet.maximum])

    private static let unwritable = CodePointSet([0...0x08, 0x0B...0x0C, 0x0E...0x1F, 0xD800...0xDFFF])

    /// What the grammar accepts: `set` minus control characters it cannot write and surrogates.
    static func writable(_ set: CodePointSet) -> CodePointSet {
        set.subtracting(unwritable)
    }

    /// One character of `set`, written as JSON string content.
    static func expression(_ set: CodePointSet) -> GrammarExpression {
        var options: [GrammarExpression] = []
        var plainASCII = ByteSet()
        for range in writable(set).ranges {
            for scalar in range.lowerBound...max(range.lowerBound, min(range.upperBound, 0x7F)) where scalar <= 0x7F {
                switch scalar {
                case 0x22: options.append(.literal("\\\""))
                case 0x5C: options.append(.literal("\\\\"))
                case 0x0A: options.append(.literal("\\n"))
                case 0x0D: options.append(.literal("\\r"))
                case 0x09: options.append(.literal("\\t"))
                default: plainASCII.insert(UInt8(scalar))
                }
            }
            if range.upperBound >= 0x80 {
                let low = max(range.lowerBound, 0x80)
                for sequence in UTF8Ranges.sequences(low, range.upperBound) {
                    options.append(.sequence(sequence.map { .byte(in: $0) }))
                }
            }
        }
        if !plainASCII.isEmpty { options.insert(.bytes(plainASCII), at: 0) }
        return options.count == 1 ? options[0] : .choice(options)
    }
}

/// UTF-8 byte ranges for a range of scalar values: a list of sequences of byte ranges whose
/// products are exactly the UTF-8 encodings of the scalars (the construction of RE2's and
/// regex-automata's UTF-8 compilers: split at encoding lengths, then until each byte position
/// ranges independently).
enum UTF8Ranges {
    static func sequences(_ low: UInt32, _ high: UInt32) -> [[ClosedRange<UInt8>]] {
        var result: [[ClosedRange<UInt8>]] = []
        split(low, high, into: &result)
        return result
    }

    private static func split(_ low: UInt32, _ high: UInt32, into result: inout [[ClosedRange<UInt8>]]) {
        guard low <= high else { return }
        for boundary: UInt32 in [0x7F, 0x7FF, 0xFFFF] where low <= boundary && boundary < high {
            split(low, boundary, into: &result)
            split(boundary + 1, high, into: &result)
            return
        }
        if high <= 0x7F {
            result.append([UInt8(low)...UInt8(high)])
            return
        }
        let length = encode(low).count
        for i in 1..<length {
            let mask: UInt32 = (1 << (6 * UInt32(i))) - 1
            if low & ~mask != high & ~mask {
                if low & mask != 0 {
                    split(low, low | mask, into: &result)
                    split((low | mask) + 1, high, into: &result)
                    return
                }
                if high & mask != mask {
                    split(low, (high & ~mask) - 1, into: &result)
                    split(high & ~mask, high, into: &result)
                    return
                }
            }
        }
        let a = encode(low), b = encode(high)
        result.append(zip(a, b).map { $0...$1 })
    }

    static func encode(_ scalar: UInt32) -> [UInt8] {
        switch scalar {
        case 0..<0x80: return [UInt8(scalar)]
        case 0x80..<0x800: return [UInt8(0xC0 | scalar >> 6), UInt8(0x80 | scalar & 0x3F)]
        case 0x800..<0x10000:
            return [UInt8(0xE0 | scalar >> 12), UInt8(0x80 | (scalar >> 6) & 0x3F), UInt8(0x80 | scalar & 0x3F)]
        default:
            return [UInt8(0xF0 | scalar >> 18), UInt8(0x80 | (scalar >> 12) & 0x3F),
                    UInt8(0x80 | (scalar >> 6) & 0x3F), UInt8(0x80 | scalar & 0x3F)]
        }
    }
}
