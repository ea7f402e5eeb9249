/// Properties of a grammar checked once after compiling, so a bad schema is refused at submit
/// rather than found out by a job.
enum GrammarCheck {
    /// Whether the root rule derives at least one finite string.
    static func isProductive(_ grammar: Grammar) -> Bool {
        let productive = rulesWithSomeAlternative(grammar) { element, productive in
            switch element {
            case .bytes(let set): return !set.isEmpty
            case .call(let callee): return productive[Int(callee)]
            case .end: return true
            }
        }
        return productive[Int(grammar.root)]
    }

    /// Whether some rule can reach a call of itself without consuming a byte (a parser that
    /// expands calls eagerly would never stop).
    static func isLeftRecursive(_ grammar: Grammar) -> Bool {
        let nullable = rulesWithSomeAlternative(grammar) { element, nullable in
            if case .call(let callee) = element { return nullable[Int(callee)] }
            if case .end = element { return true }
            return false
        }
        // Edges to the rules each rule can call before consuming anything.
        var edges = Array(repeating: [Int32](), count: grammar.ruleCount)
        for rule in 0..<grammar.ruleCount {
            for start in grammar.alternatives[rule] {
                var position = Int(start)
                while case .call(let callee) = grammar.elements[position] {
                    edges[rule].append(callee)
                    if !nullable[Int(callee)] { break }
                    position += 1
                }
            }
        }
        // Depth-first search for a cycle (0 unvisited, 1 on the stack, 2 done).
        var mark = Array(repeating: 0, count: grammar.ruleCount)
        for start in 0..<grammar.ruleCount where mark[start] == 0 {
            var stack: [(rule: Int, next: Int)] = [(start, 0)]
            mark[start] = 1
            while let top = stack.last {
                if top.next < edges[top.rule].count {
                    stack[stack.count - 1].next += 1
                    let callee = Int(edges[top.rule][top.next])
                    if mark[callee] == 1 { return true }
                    if mark[callee] == 0 {
                        mark[callee] = 1
                        stack.append((callee, 0))
                    }
                } else {
                    mark[top.rule] = 2
                    stack.removeLast()
                }
            }
        }
        return false
    }

    /// The least set of rules with an alternative whose every element passes `test` given the
    /// set found so far (a fixpoint: productive rules, nullable rules), by rule index.
    private static func rulesWithSomeAlternative(_ grammar: Grammar,
                                                 _ test: (Grammar.Element, [Bool]) -> Bool) -> [Bool] {
        var found = Array(repeating: false, count: grammar.ruleCount)
        var changed = true
        while changed {
            changed = false
            for rule in 0..<grammar.ruleCount where !found[rule] {
                if grammar.alternatives[rule].contains(where: { start in
                    allElements(grammar, from: start) { test($0, found) }
                }) {
                    found[rule] = true
                    changed = true
                }
            }
        }
        return found
    }

    private static func allElements(_ grammar: Grammar, from start: Int32, _ test: (Grammar.Element) -> Bool) -> Bool {
        var position = Int(start)
        while true {
            let element = grammar.elements[position]
            guard test(element) else { return false }
            if case .end = element { return true }
            position += 1
        }
    }
}
