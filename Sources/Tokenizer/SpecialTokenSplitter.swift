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

    /// Trie edges: `node << 8 | byte` → child node. Node 0 is the root.
    private let edges: [Int32: Int32]
    /// Root edges by first byte (the hot path: one array read per text byte), -1 = none.
    private let rootEdges: [Int32]
    /// Per node: the special token ending there, or -1.
    private let terminal: [Int32]
    /// Per node with a terminal: its claim priority (0 = claims first).
    private let priority: [Int32]
    private let length: [Int32]
    private let needsParseSpecial: [Bool]

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

        var edges: [Int32: Int32] = [:]
        var rootEdges = [Int32](repeating: -1, count: 256)
        var terminal: [Int32] = [-1]
        var priority: [Int32] = [0]
        var length: [Int32] = [0]
        var needsParseSpecial: [Bool] = [false]
        for (index, id) in special.enumerated() {
            var node: Int32 = 0
            for byte in vocabulary.tokens[Int(id)].utf8 {
                let key = node << 8 | Int32(byte)
                if let child = node == 0 ? (rootEdges[Int(byte)] >= 0 ? rootEdges[Int(byte)] : nil) : edges[key] {
                    node = child
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
        self.edges = edges
        self.rootEdges = rootEdges
        self.terminal = terminal
        self.priority = priority
        self.length = length
        self.needsParseSpecial = needsParseSpecial
    }

    /// The text as an ordered list of text ranges and special tokens, covering every byte.
    func split(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        let n = text.count
        if n == 0 { return [] }
        // Every occurrence of every eligible special token, as (priority, start, node).
        var occurrences: [(priority: Int32, start: Int32, node: Int32)] = []
        for start in 0..<n {
            var node = rootEdges[Int(text[start])]
            var position = start + 1
            while node >= 0 {
                if terminal[Int(node)] >= 0 && (parseSpecial || !needsParseSpecial[Int(node)]) {
                    occurrences.append((priority[Int(node)], Int32(start), node))
                }
                if position == n { break }
                node = edges[node << 8 | Int32(text[position])] ?? -1
                position += 1
            }
        }
        if occurrences.isEmpty { return [.text(0..<n)] }

        // Replay the claims: highest priority token first, leftmost occurrence first, never
        // overlapping an earlier claim or the same token's previous occurrence.
        occurrences.sort { $0.priority != $1.priority ? $0.priority < $1.priority : $0.start < $1.start }
        var claimed = [Bool](repeating: false, count: n)
        var accepted: [(start: Int, node: Int32)] = []
        var currentPriority: Int32 = -1
        var sameTokenEnd = 0
        for occurrence in occurrences {
            if occurrence.priority != currentPriority {
                currentPriority = occurrence.priority
                sameTokenEnd = 0
            }
            let start = Int(occurrence.start)
            let end = start + Int(length[Int(occurrence.node)])
            if start < sameTokenEnd { continue }
            if claimed[start..<end].contains(true) { continue }
            for i in start..<end { claimed[i] = true }
            accepted.append((start, occurrence.node))
            sameTokenEnd = end
        }

        accepted.sort { $0.start < $1.start }
        var fragments: [Fragment] = []
        var cursor = 0
        for (start, node) in accepted {
            if start > cursor { fragments.append(.text(cursor..<start)) }
            fragments.append(.token(terminal[Int(node)]))
            cursor = start + Int(length[Int(node)])
        }
        if cursor < n { fragments.append(.text(cursor..<n)) }
        return fragments
    }
}
