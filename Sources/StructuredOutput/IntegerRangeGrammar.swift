/// Grammar for the decimal integers in a range, written as JSON writes them (no leading zeros,
/// no `-0`, no `+`): the digit automaton that enforces `minimum`/`maximum` exactly, one digit at
/// a time, instead of checking a number once it is complete.
///
/// The construction is the usual one for numeric-range regular expressions: split the range
/// by number of digits, then for equal-length bounds branch on the first digit (the low bound's
/// digit with the rest at least the low bound's rest, the digits strictly between with any
/// rest, the high bound's digit with the rest at most the high bound's rest).
enum IntegerRangeGrammar {
    /// Most digits an integer gets when a side of its range is open: 18, so every value fits in
    /// 64 bits; a model cannot write digits forever.
    static let openDigits = 18

    /// Integers in `minimum...maximum` (nil: open on that side; the open side stops at
    /// `openDigits` digits). Empty when `minimum > maximum`.
    static func expression(minimum: Int64?, maximum: Int64?) -> GrammarExpression {
        var options: [GrammarExpression] = []
        // Negative values: "-" and a magnitude in [max(1, -maximum), -minimum].
        if (minimum ?? -1) < 0 && (maximum.map { $0 >= Int64.min + 1 } ?? true) {
            let lowMagnitude: UInt64 = maximum.map { $0 < 0 ? $0.magnitude : 1 } ?? 1
            let highMagnitude: UInt64? = minimum.map { $0.magnitude }
            if highMagnitude.map({ $0 >= lowMagnitude }) ?? true {
                options.append(.sequence([.literal("-"), magnitudes(lowMagnitude, highMagnitude)]))
            }
        }
        // Non-negative values.
        if (maximum ?? 0) >= 0 {
            let low: UInt64 = minimum.map { $0 > 0 ? UInt64($0) : 0 } ?? 0
            let high: UInt64? = maximum.map { UInt64($0) }
            if high.map({ $0 >= low }) ?? true {
                options.append(magnitudes(low, high))
            }
        }
        return options.count == 1 ? options[0] : .choice(options)
    }

    /// Non-negative integers in `low...high` (high nil: up to `openDigits` digits).
    static func magnitudes(_ low: UInt64, _ high: UInt64?) -> GrammarExpression {
        let ceiling = high ?? (power(openDigits) - 1)
        guard low <= ceiling else { return .choice([]) }
        var options: [GrammarExpression] = []
        let lowDigits = digitCount(low), highDigits = digitCount(ceiling)
        for digits in lowDigits...highDigits {
            let start = digits == lowDigits ? low : power(digits - 1)
            let end = digits == highDigits ? ceiling : power(digits) - 1
            options.append(sameLength(Array(String(start).utf8), Array(String(end).utf8)))
        }
        return options.count == 1 ? options[0] : .choice(options)
    }

    /// Digit strings of equal length from `low` to `high` (as numbers, `low <= high`).
    private static func sameLength(_ low: [UInt8], _ high: [UInt8]) -> GrammarExpression {
        guard let a = low.first, let b = high.first else { return .empty }
        let lowRest = Array(low.dropFirst()), highRest = Array(high.dropFirst())
        if a == b { return .sequence([.literal([a]), sameLength(lowRest, highRest)]) }
        let zeros = lowRest.allSatisfy { $0 == UInt8(ascii: "0") }
        let nines = highRest.allSatisfy { $0 == UInt8(ascii: "9") }
        let anyRest = GrammarExpression.sequence(Array(repeating: .digit, count: lowRest.count))
        var options: [GrammarExpression] = []
        var middleLow = a + 1, middleHigh = b - 1
        if zeros { middleLow = a } else {
            options.append(.sequence([.literal([a]), sameLength(lowRest, Array(repeating: UInt8(ascii: "9"), count: lowRest.count))]))
        }
        if nines { middleHigh = b }
        if middleLow <= middleHigh { options.append(.sequence([.byte(in: middleLow...middleHigh), anyRest])) }
        if !nines {
            options.append(.sequence([.literal([b]), sameLength(Array(repeating: UInt8(ascii: "0"), count: highRest.count), highRest)]))
        }
        return options.count == 1 ? options[0] : .choice(options)
    }

    static func digitCount(_ value: UInt64) -> Int { String(value).count }

    /// 10^n, saturating at UInt64.max + 1 - 1 for n ≥ 20.
    static func power(_ n: Int) -> UInt64 {
        var result: UInt64 = 1
        for _ in 0..<n {
            let (product, overflow) = result.multipliedReportingOverflow(by: 10)
            if overflow { return UInt64.max }
            result = product
        }
        return result
    }
}
