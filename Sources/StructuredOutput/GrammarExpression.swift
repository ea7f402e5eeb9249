/// A piece of grammar before it is flattened into rules: byte sets, sequences, choices and
/// references to named rules (for recursion and sharing).
indirect enum GrammarExpression: Hashable, Sendable {
    case bytes(ByteSet)
    case sequence([GrammarExpression])
    case choice([GrammarExpression])
    case rule(Int32)

    /// Matches the empty string.
    static let empty = GrammarExpression.sequence([])

    /// The bytes of `text`, one element each.
    static func literal(_ text: String) -> GrammarExpression {
        literal(Array(text.utf8))
    }

    static func literal(_ bytes: [UInt8]) -> GrammarExpression {
        bytes.count == 1 ? .bytes(ByteSet([bytes[0]])) : .sequence(bytes.map { .bytes(ByteSet([$0])) })
    }

    static func byte(in range: ClosedRange<UInt8>) -> GrammarExpression { .bytes(ByteSet(range: range)) }

    static func optional(_ expression: GrammarExpression) -> GrammarExpression { .choice([expression, .empty]) }

    static let digit = GrammarExpression.byte(in: UInt8(ascii: "0")...UInt8(ascii: "9"))
    static let nonZeroDigit = GrammarExpression.byte(in: UInt8(ascii: "1")...UInt8(ascii: "9"))
}
