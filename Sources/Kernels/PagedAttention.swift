/// Causal attention of one query token over keys and values kept in paged KV blocks.
///
/// Each call handles the query heads that share one KV head (GQA), so each key and value vector
/// is loaded once for the whole group. A query's result depends only on its own sequence's
/// cached keys and values, never on the rest of the batch.
public enum PagedAttention {
    /// Where one layer's keys and values of one KV head live in the block pool.
    public struct Layout {
        /// Start of block 0 of the pool.
        public var base: UnsafeMutablePointer<Float>
        /// Floats from one block to the next.
        public var floatsPerBlock: Int
        /// Positions per block.
        public var blockSize: Int
        /// Floats from a block's start to this layer's (and KV head's) first key / value.
        public var keyOffset: Int
        public var valueOffset: Int
        /// Floats between consecutive positions' keys / values.
        public var keyStride: Int
        public var valueStride: Int

        public init(base: UnsafeMutablePointer<Float>, floatsPerBlock: Int, blockSize: Int, keyOffset: Int,
                    valueOffset: Int, keyStride: Int, valueStride: Int) {
            self.base = base
            self.floatsPerBlock = floatsPerBlock
            self.blockSize = blockSize
            self.keyOffset = keyOffset
            self.valueOffset = valueOffset
            self.keyStride = keyStride
            self.valueStride = valueStride
        }

        @inline(__always)
        func key(_ table: UnsafePointer<Int32>, _ position: Int) -> UnsafeMutablePointer<Float> {
            base + Int(table[position / blockSize]) * floatsPerBlock + keyOffset + (position % blockSize) * keyStride
        }

        @inline(__always)
        func value(_ table: UnsafePointer<Int32>, _ position: Int) -> UnsafeMutablePointer<Float> {
            base + Int(table[position / blockSize]) * floatsPerBlock + valueOffset + (position % blockSize) * valueStride
        }
    }

    /// out_h = Σ_j softmax_j(scale · q_h·k_j) · v_j over positions `first...last`, for the
    /// `groupHeads` query heads of one KV head.
    /// - Parameters:
    ///   - query: head h at `query + h * headDim`.
    ///   - blockTable: physical block of each logical block of the sequence.
    ///   - scores: scratch of at least `groupHeads * (last - first + 1)` floats.
    ///   - out: head h written at `out + h * headDim`.
    public static func attend(query: UnsafePointer<Float>, groupHeads: Int, headDim: Int, layout: Layout,
                              blockTable: UnsafePointer<Int32>, first: Int, last: Int, scale: Float,
                              scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        precondition(headDim % 16 == 0 && groupHeads >= 1 && first <= last)
        // The group size is a compile-time constant inside the kernel, so the per-head
        // accumulators live in registers; other sizes go one head at a time.
        let kernel = Kernel(query: query, headDim: headDim, layout: layout, blockTable: blockTable, first: first,
                            last: last, scale: scale, scores: scores, out: out)
        switch groupHeads {
        case 1: kernel.run(heads: InlineArray<1, Int>(repeating: 0))
        case 2: kernel.run(heads: InlineArray<2, Int>(repeating: 0))
        case 4: kernel.run(heads: InlineArray<4, Int>(repeating: 0))
        case 8: kernel.run(heads: InlineArray<8, Int>(repeating: 0))
        default:
            for h in 0..<groupHeads {
                var single = kernel
                single.query = query + h * headDim
                single.out = out + h * headDim
                single.run(heads: InlineArray<1, Int>(repeating: 0))
            }
        }
    }

    private struct Kernel {
        var query: UnsafePointer<Float>
        let headDim: Int
        let layout: Layout
        let blockTable: UnsafePointer<Int32>
        let first: Int
        let last: Int
        let scale: Float
        let scores: UnsafeMutablePointer<Float>
        var out: UnsafeMutablePointer<Float>

        /// `G` query heads sharing one KV head (the array's values are unused: it carries G).
        @inline(__always)
        func run<let G: Int>(heads: InlineArray<G, Int>) {
            let count = last - first + 1
            let chunks = headDim / 16
            let blockSize = layout.blockSize

            // Scores: one pass over the keys, block by block (no division per position), every
            // head of the group per key so each key is loaded once.
            var position = first
            while position <= last {
                let blockEnd = min(last + 1, (position / blockSize + 1) * blockSize)
                var key = layout.key(blockTable, position)
                for p in position..<blockEnd {
                    var acc = InlineArray<G, SIMD16<Float>>(repeating: SIMD16<Float>())
                    for c in 0..<chunks {
                        let k = VectorMath.load(key + c * 16)
                        for h in 0..<G { acc[h] = acc[h].addingProduct(VectorMath.load(query + h * headDim + c * 16), k) }
                    }
                    for h in 0..<G { scores[h * count + p - first] = VectorMath.sum(acc[h]) * scale }
                    key += layout.keyStride
                }
                position = blockEnd
            }

            // Softmax per head.
            for h in 0..<G {
                let row = scores + h * count
                let peak = VectorMath.maximum(row, count: count)
                let total = VectorMath.expInPlace(row, count: count, shift: peak)
                VectorMath.scale(row, count: count, by: 1 / total)
            }

            // Weighted sum of the values: each block's value rows are read once for all heads,
            // 16 dimensions at a time, with the running sums carried between blocks in `out`.
            for h in 0..<G { (out + h * headDim).initialize(repeating: 0, count: headDim) }
            position = first
            while position <= last {
                let blockEnd = min(last + 1, (position / blockSize + 1) * blockSize)
                let base = layout.value(blockTable, position)
                for c in 0..<chunks {
                    var acc = InlineArray<G, SIMD16<Float>>(repeating: SIMD16<Float>())
                    for h in 0..<G { acc[h] = VectorMath.load(out + h * headDim + c * 16) }
                    var value = base + c * 16
                    for p in position..<blockEnd {
                        let v = VectorMath.load(value)
                        for h in 0..<G {
                            acc[h] = acc[h].addingProduct(SIMD16(repeating: scores[h * count + p - first]), v)
                        }
                        value += layout.valueStride
                    }
                    for h in 0..<G { VectorMath.store(acc[h], out + h * headDim + c * 16) }
                }
                position = blockEnd
            }
        }
    }
}
