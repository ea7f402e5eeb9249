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
