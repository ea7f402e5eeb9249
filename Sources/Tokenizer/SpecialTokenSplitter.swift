/// Cuts special tokens (control, user-defined, unknown) out of the text before the merge
/// algorithm sees it, with llama.cpp's `tokenizer_st_partition` semantics:
///
/// - tokens are tried longest first (equal lengths: lower id first); each one claims its
///   leftmost non-overlapping occurrences in the text not yet claimed by a longer one;
/// - with `parseSpecial == false` only user-defined tokens are cut out (control tokens written
///   in user text stay text).
///
/// Instead of one substring search per special token (Gemma has 6,414), a byte trie finds every
/// occurrence of every special token in one pass; the claims are then replayed in priority order.
struct SpecialTokenSplitter: Sendable {
    enum Fragment: Equatable {
        /// Byte range of the input text still to be tokenized.
        case text(Range<Int>)
        case token(Int32)
    }

    /// Trie edges, open addressing: key `node << 8 | byte` (`emptyKey` = free slot) → child.
    /// Node 0 is the root.
    private let edgeKeys: [UInt32]
    private let edgeChildren: [Int32]
    /// Root edges by first byte (one array read per text byte on the hot path), -1 = none.
    private let rootEdges: [Int32]
    /// Per node: the special token ending there, or -1.
    private let terminal: [Int32]
    /// Per terminal node: its claim priority, 0 claims first (longest piece, then lowest id).
    private let priority: [Int32]
    private let length: [Int32]
    private let needsParseSpecial: [Bool]
    private let specialCount: Int

    private static let emptyKey = UInt32.max

    init(vocabulary: Vocabulary) {
        var special: [Int32] = []
        for id in 0..<Int32(vocabulary.count)
        where vocabulary.type(of: id).isSplitOutOfText && !vocabulary.tokens[Int(id)].isEmpty {
            special.append(id)
        }
        let lengths = special.map { vocabulary.tokens[Int($0)].utf8.count }
        let order = special.indices.sorted { a, b in
            lengths[a] != lengths[b] ? lengths[a] > lengths[b] : special[a] < special[b]
        }
        var rank = [Int](repeating: 0, count: special.count)
        for (position, index) in order.enumerated() { rank[index] = position }

        var edges: [UInt32: Int32] = [:]
        var rootEdges = [Int32](repeating: -1, count: 256)
        var terminal: [Int32] = [-1]
        var priority: [Int32] = [0]
        var length: [Int32] = [0]
        var needsParseSpecial: [Bool] = [false]
        for (index, id) in special.enumerated() {
            var node: Int32 = 0
            for byte in vocabulary.tokens[Int(id)].utf8 {
                let key = UInt32(node) << 8 | UInt32(byte)
                let existing = node == 0 ? rootEdges[Int(byte)] : edges[key] ?? -1
                if existing >= 0 {
                    node = existing
                    continue
                }
                let child = Int32(terminal.count)
                terminal.append(-1)
                priority.append(0)
                length.append(0)
                needsParseSpecial.append(false)
                if node == 0 { rootEdges[Int(byte)] = child } else { edges[key] = child }
                node = child
            }
            terminal[Int(node)] = id
            priority[Int(node)] = Int32(rank[index])
            length[Int(node)] = Int32(lengths[index])
            needsParseSpecial[Int(node)] = vocabulary.type(of: id).needsParseSpecial
        }

        var capacity = 16
        while capacity < edges.count * 2 { capacity <<= 1 }
        var edgeKeys = [UInt32](repeating: Self.emptyKey, count: capacity)
        var edgeChildren = [Int32](repeating: -1, count: capacity)
        for (key, child) in edges {
            var slot = Self.slot(key, capacity - 1)
            while edgeKeys[slot] != Self.emptyKey { slot = (slot + 1) & (capacity - 1) }
            edgeKeys[slot] = key
            edgeChildren[slot] = child
        }
        self.edgeKeys = edgeKeys
        self.edgeChildren = edgeChildren
        self.rootEdges = rootEdges
        self.terminal = terminal
        self.priority = priority
        self.length = length
        self.needsParseSpecial = needsParseSpecial
        specialCount = special.count
    }

    /// The text as an ordered list of text ranges and special tokens, covering every byte.
    func split(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        let n = text.count
        if n == 0 { return [] }
        // Every occurrence of every eligible special token: (start, trie node), by start.
        var starts: [Int32] = []
        var nodes: [Int32] = []
        for start in 0..<n {
            var node = rootEdges[Int(text[start])]
            var position = start + 1
            while node >= 0 {
                if terminal[Int(node)] >= 0 && (parseSpecial || !needsParseSpecial[Int(node)]) {
                    starts.append(Int32(start))
                    nodes.append(node)
                }
                if position == n { break }
                node = child(of: node, byte: text[position])
                position += 1
            }
        }
        if starts.isEmpty { return [.text(0..<n)] }

        // Counting sort by priority, keeping each token's occurrences in text order. A run of
        // 100k newlines has ~3M occurrences of Gemma's newline-run tokens: no comparison sort.
        var bucketStart = [Int](repeating: 0, count: specialCount + 1)
        for node in nodes { bucketStart[Int(priority[Int(node)]) + 1] += 1 }
        for p in 0..<specialCount { bucketStart[p + 1] += bucketStart[p] }
        var byPriority = [Int32](repeating: 0, count: starts.count)
        for occurrence in starts.indices {
            let p = Int(priority[Int(nodes[occurrence])])
            byPriority[bucketStart[p]] = Int32(occurrence)
            bucketStart[p] += 1
        }

        // Replay the claims: highest priority token first, leftmost occurrence first, never
        // overlapping an earlier claim or the same token's previous occurrence. Earlier claims
        // are at least as long as the candidate, so one that overlaps it covers its first or
        // last byte: checking those two bytes is enough.
        var claimed = [Bool](repeating: false, count: n)
        var acceptedNode = [Int32](repeating: -1, count: n)
        var currentNode: Int32 = -1
        var sameTokenEnd = 0
        for occurrence in byPriority {
            let node = nodes[Int(occurrence)]
            if node != currentNode {
                currentNode = node
                sameTokenEnd = 0
            }
            let start = Int(starts[Int(occurrence)])
            let end = start + Int(length[Int(node)])
            if start < sameTokenEnd || claimed[start] || claimed[end - 1] { continue }
            for i in start..<end { claimed[i] = true }
            acceptedNode[start] = node
            sameTokenEnd = end
        }

        var fragments: [Fragment] = []
        var textStart = 0
        var position = 0
        while position < n {
            let node = acceptedNode[position]
            if node < 0 {
                position += 1
                continue
            }
            if position > textStart { fragments.append(.text(textStart..<position)) }
            fragments.append(.token(terminal[Int(node)]))
            position += Int(length[Int(node)])
            textStart = position
        }
        if textStart < n { fragments.append(.text(textStart..<n)) }
        return fragments
    }

    @inline(__always)
    private func child(of node: Int32, byte: UInt8) -> Int32 {
        let key = UInt32(node) << 8 | UInt32(byte)
        let mask = edgeKeys.count - 1
        var slot = Self.slot(key, mask)
        while true {
            let stored = edgeKeys[slot]
            if stored == key { return edgeChildren[slot] }
            if stored == Self.emptyKey { return -1 }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private static func slot(_ key: UInt32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(key) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }
}
