import Foundation

/// Token masks: which tokens of a vocabulary (its `TokenTrie`) each grammar state allows.
extension GrammarAutomaton {
    /// The mask of `state` if it was computed for this vocabulary already.
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
