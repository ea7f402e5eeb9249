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

    /// The mask of the current state if it was computed already (nil: the caller may check a
    /// sampled token with `allows` instead of computing it).
    public func cachedMask(_ trie: TokenTrie) -> TokenMask? {
        format.automaton.cachedMask(for: state, trie: trie)
    }

    /// Whether `token` may come next: what `mask(trie).allows(token)` says, without the mask.
    public func allows(_ token: Int32, trie: TokenTrie) -> Bool {
        if trie.isEndToken(token) { return canEnd }
        let piece = trie.piece(token)
        guard !piece.isEmpty else { return false }
        return format.automaton.advance(state, piece) != GrammarAutomaton.dead
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
    func cachedMask(for state: Int32, trie: TokenTrie) -> TokenMask? {
        lock.withLock { masksVocabulary == ObjectIdentifier(trie) ? masks[state] : nil }
    }

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
            let count = trie.nodeCount
            words.withUnsafeMutableBufferPointer { words in
            states.withUnsafeMutableBufferPointer { states in
            trie.bytes.withUnsafeBufferPointer { bytes in
            trie.depths.withUnsafeBufferPointer { depths in
            trie.subtreeEnds.withUnsafeBufferPointer { subtreeEnds in
            trie.tokenStarts.withUnsafeBufferPointer { tokenStarts in
            trie.tokens.withUnsafeBufferPointer { tokens in
                states[0] = state
                // Read transitions straight from the table; a miss computes the state (which may
                // grow the table, so the pointer is read again).
                var table = transitionTable
                var node = 0
                while node < count {
                    let depth = Int(depths[node])
                    let from = states[depth &- 1]
                    var next = table[Int(from) &* 256 &+ Int(bytes[node])]
                    if next < 0 {
                        next = stepLocked(from, bytes[node])
                        table = transitionTable
                    }
                    if next == Self.dead {
                        node = Int(subtreeEnds[node])
                        continue
                    }
                    states[depth] = next
                    var index = Int(tokenStarts[node])
                    let end = Int(tokenStarts[node &+ 1])
                    while index < end {
                        let token = Int(tokens[index])
                        words[token >> 6] |= UInt64(1) << UInt64(token & 63)
                        index &+= 1
                    }
                    node &+= 1
                }
            }}}}}}}
            if stateAccepts[Int(state)] {
                for token in trie.endTokens { words[Int(token) >> 6] |= UInt64(1) << UInt64(token & 63) }
            }
            let mask = TokenMask(words: words)
            if masks.count >= Self.maximumMasks { masks.removeAll() }
            masks[state] = mask
            return mask
        }
    }
}
