/// The tokens allowed in one grammar state, one bit per token of the vocabulary.
public final class TokenMask: Sendable {
    public let words: [UInt64]
    /// The allowed token ids in increasing order when there are few (≤ `sparseLimit`): the
    /// sampler then chooses among their logits alone, and `apply` fills the row around them.
    public let sparse: [Int32]?
    public let allowedCount: Int
    static let sparseLimit = 4_096

    init(words: [UInt64]) {
        self.words = words
        var count = 0
        for word in words { count += word.nonzeroBitCount }
        allowedCount = count
        if count <= Self.sparseLimit {
            var list: [Int32] = []
            list.reserveCapacity(count)
            for (index, word) in words.enumerated() where word != 0 {
                var bits = word
                while bits != 0 {
                    list.append(Int32(index * 64 + bits.trailingZeroBitCount))
                    bits &= bits - 1
                }
            }
            sparse = list
        } else {
            sparse = nil
        }
    }

    public func allows(_ token: Int32) -> Bool {
        let index = Int(token)
        guard index >= 0, index / 64 < words.count else { return false }
        return words[index / 64] & (UInt64(1) << UInt64(index % 64)) != 0
    }

    /// Sets every disallowed logit of `row` (one per token id) to -infinity.
    public func apply(to row: UnsafeMutableBufferPointer<Float>) {
        let base = row.baseAddress!
        let count = row.count
        if let sparse {
            var saved: [Float] = []
            saved.reserveCapacity(sparse.count)
            for token in sparse where Int(token) < count { saved.append(base[Int(token)]) }
            for i in 0..<count { base[i] = -.infinity }
            var i = 0
            for token in sparse where Int(token) < count {
                base[Int(token)] = saved[i]
                i += 1
            }
            return
        }
        for (index, word) in words.enumerated() where word != ~0 {
            let start = index * 64
            if start >= count { break }
            let end = min(start + 64, count)
            if word == 0 {
                for i in start..<end { base[i] = -.infinity }
            } else {
                for i in start..<end where word & (UInt64(1) << UInt64(i - start)) == 0 { base[i] = -.infinity }
            }
        }
    }
}
