/// A compiled grammar: rules over bytes with no left recursion, flattened into one array of
/// elements so a parser position is a single index.
///
/// Each rule is a list of alternatives; an alternative is a run of elements in `elements`
/// that ends with `.end`. `root` is the rule the whole output must match. This is the shape of
/// llama.cpp's GBNF after parsing (`llama_grammar_element`), with byte sets as terminals.
struct Grammar: Sendable {
    enum Element: Sendable, Equatable {
        /// One byte from the set.
        case bytes(ByteSet)
        /// The whole of another rule.
        case call(Int32)
        /// The end of an alternative.
        case end
    }

    var elements: [Element] = []
    /// Start positions (indices into `elements`) of each rule's alternatives.
    var alternatives: [[Int32]] = []
    var root: Int32 = 0

    var ruleCount: Int { alternatives.count }
}

/// Builds a `Grammar` from expressions: top-level choices become a rule's alternatives, nested
/// choices become anonymous rules, and identical anonymous rules are made once.
struct GrammarBuilder {
    private var pending: [[GrammarExpression]?] = []
    private var anonymous: [GrammarExpression: Int32] = [:]
    private var repeats: [GrammarExpression: Int32] = [:]

    /// A rule whose body is set later (`define(_:as:)`): for recursion.
    mutating func reserveRule() -> Int32 {
        pending.append(nil)
        return Int32(pending.count - 1)
    }

    mutating func define(_ rule: Int32, as expression: GrammarExpression) {
        if case .choice(let options) = expression {
            pending[Int(rule)] = options
        } else {
            pending[Int(rule)] = [expression]
        }
    }

    /// A rule for `expression` (the same rule for the same expression).
    mutating func rule(for expression: GrammarExpression) -> Int32 {
        if case .rule(let id) = expression { return id }
        if let id = anonymous[expression] { return id }
        let id = reserveRule()
        define(id, as: expression)
        anonymous[expression] = id
        return id
    }

    /// Zero or more `expression`s: `R := expression R | ε` (right recursion, so a parser's stack
    /// does not grow with the count).
    mutating func star(_ expression: GrammarExpression) -> GrammarExpression {
        if let id = repeats[expression] { return .rule(id) }
        let id = reserveRule()
        repeats[expression] = id
        define(id, as: .choice([.sequence([expression, .rule(id)]), .empty]))
        return .rule(id)
    }

    /// `minimum` to `maximum` (nil: unbounded) copies of `expression`.
    mutating func `repeat`(_ expression: GrammarExpression, minimum: Int, maximum: Int?) -> GrammarExpression {
        var parts = Array(repeating: expression, count: minimum)
        if let maximum {
            // expression{0,n} = (expression (expression (...)?)?)?: n nested optional rules.
            var tail = GrammarExpression.empty
            for _ in 0..<max(0, maximum - minimum) {
                tail = .rule(rule(for: .choice([.sequence([expression, tail]), .empty])))
            }
            parts.append(tail)
        } else {
            parts.append(star(expression))
        }
        return .sequence(parts)
    }

    /// Flattens every rule. `root` must have been defined.
    mutating func build(root: Int32) -> Grammar {
        var grammar = Grammar()
        grammar.root = root
        var index = 0
        // Flattening may add anonymous rules; they are appended to `pending` and reached here.
        var flattened: [[Int32]] = []
        while index < pending.count {
            guard let options = pending[index] else {
                preconditionFailure("rule \(index) was reserved but never defined")
            }
            var starts: [Int32] = []
            for option in options {
                starts.append(Int32(grammar.elements.count))
                append(option, to: &grammar.elements)
                grammar.elements.append(.end)
            }
            flattened.append(starts)
            index += 1
        }
        grammar.alternatives = flattened
        return grammar
    }

    private mutating func append(_ expression: GrammarExpression, to elements: inout [Grammar.Element]) {
        switch expression {
        case .bytes(let set): elements.append(.bytes(set))
        case .sequence(let parts): for part in parts { append(part, to: &elements) }
        case .rule(let id): elements.append(.call(id))
        case .choice(let options):
            if options.count == 1 {
                append(options[0], to: &elements)
            } else {
                elements.append(.call(rule(for: expression)))
            }
        }
    }
}
