/// One sequence's place in its output format: the engine asks it which tokens may come next,
/// and moves it on with each token sampled.
///
/// A value; the grammar's states, transitions and masks live in the shared
/// `CompiledOutputFormat`, so a thousand jobs with one schema compute each mask once.
public struct OutputConstraint: Sendable {
    public let format: CompiledOutputFormat
    public private(set) var state: Int32

    public init(format: CompiledOutputFormat) {
        self.format = format
        state = format.automaton.initialState
    }

    /// The tokens allowed next: those whose bytes keep the output valid, plus the end tokens
    /// where the output may end. Computed once per (format, state) and vocabulary.
    public func mask(_ trie: TokenTrie) -> TokenMask {
        format.automaton.mask(for: state, trie: trie)
    }

    /// Moves on by a sampled token's bytes. Returns false (and stays) if they break the format.
    public mutating func accept(_ bytes: [UInt8]) -> Bool {
        let next = format.automaton.advance(state, bytes)
        guard next != GrammarAutomaton.dead else { return false }
        state = next
        return true
    }

    /// The output is a complete value and nothing can extend it: generation is over.
    public var isComplete: Bool {
        format.automaton.accepts(state) && !format.automaton.canContinue(state)
    }

    /// The output may end here (an end token is allowed).
    public var canEnd: Bool { format.automaton.accepts(state) }
}

extension GrammarAutomaton {
    /// The mask of `state` over `trie`'s vocabulary: a preorder walk of the trie that follows
    /// the automaton's transitions (cached table reads once a state is known) and skips every
    /// subtree whose prefix leads to the dead state.
    func mask(for state: Int32, trie: TokenTrie) -> TokenMask {
        lock.withLock {
            let vocabulary = ObjectIdentifier(trie)
            if masksVocabulary != vocabulary {
                masks.removeAll()
                masksVocabulary = vocabulary
            }
            if let cached = masks[state] { return cached }
            var words = [UInt64](repeating: 0, count: (trie.vocabularySize + 63) / 64)
            var states = [Int32](repeating: 0, count: trie.maximumDepth + 1)
            states[0] = state
            let count = trie.nodeCount
            trie.bytes.withUnsafeBufferPointer { bytes in
            trie.depths.withUnsafeBufferPointer { depths in
            trie.subtreeEnds.withUnsafeBufferPointer { subtreeEnds in
            trie.tokenStarts.withUnsafeBufferPointer { tokenStarts in
            trie.tokens.withUnsafeBufferPointer { tokens in
                var node = 0
                while node < count {
                    let depth = Int(depths[node])
                    let next = stepLocked(states[depth - 1], bytes[node])
                    if next == Self.dead {
                        node = Int(subtreeEnds[node])
                        continue
                    }
                    states[depth] = next
                    for index in Int(tokenStarts[node])..<Int(tokenStarts[node + 1]) {
                        let token = Int(tokens[index])
                        words[token >> 6] |= UInt64(1) << UInt64(token & 63)
                    }
                    node += 1
                }
            }}}}}
            if stateAccepts[Int(state)] {
                for token in trie.endTokens { words[Int(token) >> 6] |= UInt64(1) << UInt64(token & 63) }
            }
            let mask = TokenMask(words: words)
            masks[state] = mask
            return mask
        }
    }
}
