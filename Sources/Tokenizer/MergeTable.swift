/// BPE merges by token pair: (left id, right id) → (rank, merged id). Lower ranks merge first.
/// Open addressing over 64-bit keys, built once from `tokenizer.ggml.merges` (Llama 3 has
/// 280,147 merges, so a `Dictionary` of tuples would dominate load time in debug builds).
struct MergeTable: Sendable {
    struct Merge: Equatable {
        var rank: Int32
        var result: Int32
    }

    private var keys: [UInt64]
    private var values: [Merge]

    private static let empty = UInt64.max

    /// Parses `"left right"` lines (split at the first space after the first byte, so a piece may
    /// begin with a space). The first occurrence of a pair keeps its rank.
    init(merges: [String], lookup: PieceLookup, source: String) throws(TokenizerError) {
        var capacity = 16
        while capacity < merges.count * 2 { capacity <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: capacity)
        values = [Merge](repeating: Merge(rank: 0, result: 0), count: capacity)
        for (rank, line) in merges.enumerated() {
            var line = line
            let parsed: (Int32, Int32, Int32)?? = line.withUTF8 { utf8 in
                guard utf8.count >= 3, let space = utf8[1...].firstIndex(of: UInt8(ascii: " ")),
                      space + 1 < utf8.count else { return .none }
                let left = lookup.id(of: UnsafeBufferPointer(rebasing: utf8[..<space]))
                let right = lookup.id(of: UnsafeBufferPointer(rebasing: utf8[(space + 1)...]))
                var joined = Array(utf8[..<space])
                joined.append(contentsOf: utf8[(space + 1)...])
                guard let left, let right, let result = lookup.id(of: joined) else { return .some(nil) }
                return .some((left, right, result))
            }
            guard let parsed else { throw .badMerge(source: source, index: rank, line: line) }
            // A merge whose pieces or result are not in the vocabulary could only produce a
            // symbol without a token; llama.cpp would emit that symbol's bytes, so skipping it
            // differs only for malformed vocabularies.
            guard let (left, right, result) = parsed else { continue }
            insert(left: left, right: right, Merge(rank: Int32(rank), result: result))
        }
    }

    func merge(_ left: Int32, _ right: Int32) -> Merge? {
        let key = Self.key(left, right)
        let mask = keys.count - 1
        var slot = Self.slot(key, mask)
        while true {
            let stored = keys[slot]
            if stored == key { return values[slot] }
            if stored == Self.empty { return nil }
            slot = (slot + 1) & mask
        }
    }

    private mutating func insert(left: Int32, right: Int32, _ merge: Merge) {
        let key = Self.key(left, right)
        let mask = keys.count - 1
        var slot = Self.slot(key, mask)
        while keys[slot] != Self.empty {
            if keys[slot] == key { return }
            slot = (slot + 1) & mask
        }
        keys[slot] = key
        values[slot] = merge
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        // Fibonacci hashing spreads the consecutive ids of a key's halves.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }
}
