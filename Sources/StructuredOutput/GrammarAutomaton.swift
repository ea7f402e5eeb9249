import Foundation

/// Runs a `Grammar` over bytes as a pushdown automaton whose configurations are interned, so
/// the automaton becomes, lazily, a deterministic one: each configuration reached gets a state
/// number, and each (state, byte) transition is computed once and then read from a table.
///
/// A configuration is the set of parser stacks still alive (as in llama.cpp's grammar
/// sampler, which keeps a set of stacks; here every stack's top is a byte-set element, and the
/// sets are deduplicated). Stack frames are hash-consed (position, parent) pairs, so a stack is
/// one frame number and equal stacks are equal numbers. Calls that end an alternative do not
/// keep a return frame (tail calls), so repetition (`R := x R | ε`) does not grow the stack.
///
/// Thread safety: every public entry takes the lock; token masks (`TokenMasks`) take it once
/// per mask. Deterministic: a state's meaning (its stacks) does not depend on the order states
/// were discovered, so neither do masks or transitions.
final class GrammarAutomaton: @unchecked Sendable {
    /// The state with no stacks that does not accept: nothing can follow.
    static let dead: Int32 = 0
    /// Bounds on the work one configuration may take; beyond them the transition is dead
    /// (the job then ends: no token can continue). Real schemas stay far below.
    static let maximumStacks = 4_096
    /// Each state's row of transitions takes 1 KiB.
    static let maximumStates = 65_536
    /// Token masks kept per format (one costs vocabulary/8 bytes: 32 KiB for Gemma's 262k);
    /// beyond it the cache starts over (deep recursion in a generic JSON value can visit many states).
    static let maximumMasks = 2_048

    let grammar: Grammar
    let lock = NSLock()

    // Frames: (position, parent frame or -1).
    private var framePositions: [Int32] = []
    private var frameParents: [Int32] = []
    private var frameIndex: [Int64: Int32] = [:]

    // States: sorted leaf frames plus whether the grammar's root can end here.
    private var stateLeaves: [[Int32]] = []
    private(set) var stateAccepts: [Bool] = []
    private var stateIndex: [StateKey: Int32] = [:]
    /// state × 256 + byte → next state; -1 while unknown. Raw memory (grown by doubling) so the
    /// trie walk reads it without array checks; `transitionCapacity` states fit.
    private(set) var transitionTable = UnsafeMutablePointer<Int32>.allocate(capacity: 256 * 64)
    private var transitionCapacity = 64

    private struct StateKey: Hashable {
        var leaves: [Int32]
        var accepts: Bool
    }

    /// Token masks computed for this grammar, by state, with the vocabulary they are for.
    var masks: [Int32: TokenMask] = [:]
    var masksVocabulary: ObjectIdentifier?

    private(set) var initialState: Int32 = 0

    deinit { transitionTable.deallocate() }

    init(grammar: Grammar) {
        self.grammar = grammar
        _ = intern(StateKey(leaves: [], accepts: false))  // state 0: dead
        var leaves = Set<Int32>()
        var accepts = false
        var visited = Set<Int64>()
        for start in grammar.alternatives[Int(grammar.root)] {
            expand(position: start, parent: -1, leaves: &leaves, accepts: &accepts, visited: &visited)
        }
        initialState = intern(StateKey(leaves: leaves.sorted(), accepts: accepts))
    }

    var stateCount: Int { lock.withLock { stateLeaves.count } }

    /// Whether the output may end in `state`.
    func accepts(_ state: Int32) -> Bool { lock.withLock { stateAccepts[Int(state)] } }

    /// Whether some byte can follow in `state` (false for dead states and for complete values
    /// that nothing can extend).
    func canContinue(_ state: Int32) -> Bool { lock.withLock { !stateLeaves[Int(state)].isEmpty } }

    /// The state after `bytes`, or `dead`.
    func advance(_ state: Int32, _ bytes: some Sequence<UInt8>) -> Int32 {
        lock.withLock {
            var current = state
            for byte in bytes {
                current = stepLocked(current, byte)
                if current == Self.dead { break }
            }
            return current
        }
    }

    func run(_ bytes: [UInt8]) -> Int32 { advance(initialState, bytes) }

    func accepts(_ bytes: [UInt8]) -> Bool {
        let state = run(bytes)
        return accepts(state)
    }

    /// One transition; the caller holds the lock.
    @inline(__always)
    func stepLocked(_ state: Int32, _ byte: UInt8) -> Int32 {
        let slot = Int(state) &* 256 &+ Int(byte)
        let known = transitionTable[slot]
        if known >= 0 { return known }
        let next = compute(state, byte)
        transitionTable[slot] = next
        return next
    }

    private func compute(_ state: Int32, _ byte: UInt8) -> Int32 {
        if state == Self.dead { return Self.dead }
        var leaves = Set<Int32>()
        var accepts = false
        var visited = Set<Int64>()
        for frame in stateLeaves[Int(state)] {
            let position = framePositions[Int(frame)]
            guard case .bytes(let set) = grammar.elements[Int(position)], set.contains(byte) else { continue }
            expand(position: position + 1, parent: frameParents[Int(frame)], leaves: &leaves, accepts: &accepts,
                   visited: &visited)
            if leaves.count > Self.maximumStacks { return Self.dead }
        }
        if leaves.isEmpty && !accepts { return Self.dead }
        if stateLeaves.count >= Self.maximumStates { return Self.dead }
        return intern(StateKey(leaves: leaves.sorted(), accepts: accepts))
    }

    /// Adds the leaf frames reachable from `position` (with return frame `parent`) without
    /// consuming a byte: calls are entered, ends of alternatives return to the parent.
    private func expand(position: Int32, parent: Int32, leaves: inout Set<Int32>, accepts: inout Bool,
                        visited: inout Set<Int64>) {
        guard visited.insert(Int64(position) << 32 | Int64(UInt32(bitPattern: parent))).inserted else { return }
        guard leaves.count <= Self.maximumStacks else { return }
        switch grammar.elements[Int(position)] {
        case .end:
            if parent < 0 {
                accepts = true
            } else {
                expand(position: framePositions[Int(parent)], parent: frameParents[Int(parent)], leaves: &leaves,
                       accepts: &accepts, visited: &visited)
            }
        case .bytes:
            leaves.insert(frame(position, parent))
        case .call(let rule):
            let next = position + 1
            // A tail call needs no return frame: returning from it ends this alternative too.
            let returnFrame: Int32
            if case .end = grammar.elements[Int(next)] {
                returnFrame = parent
            } else {
                returnFrame = frame(next, parent)
            }
            for start in grammar.alternatives[Int(rule)] {
                expand(position: start, parent: returnFrame, leaves: &leaves, accepts: &accepts, visited: &visited)
            }
        }
    }

    private func frame(_ position: Int32, _ parent: Int32) -> Int32 {
        let key = Int64(position) << 32 | Int64(UInt32(bitPattern: parent))
        if let existing = frameIndex[key] { return existing }
        let id = Int32(framePositions.count)
        framePositions.append(position)
        frameParents.append(parent)
        frameIndex[key] = id
        return id
    }

    private func intern(_ key: StateKey) -> Int32 {
        if let existing = stateIndex[key] { return existing }
        let id = Int32(stateLeaves.count)
        stateLeaves.append(key.leaves)
        stateAccepts.append(key.accepts)
        stateIndex[key] = id
        if Int(id) >= transitionCapacity {
            let grown = UnsafeMutablePointer<Int32>.allocate(capacity: 256 * transitionCapacity * 2)
            grown.update(from: transitionTable, count: 256 * transitionCapacity)
            transitionTable.deallocate()
            transitionTable = grown
            transitionCapacity *= 2
        }
        (transitionTable + Int(id) * 256).initialize(repeating: -1, count: 256)
        return id
    }
}
