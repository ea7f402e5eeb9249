/// Causal attention of one query token over keys and values kept in paged KV blocks.
///
/// Each call handles the query heads that share one KV head (GQA), so each key and value vector
/// is loaded once for the whole group. A query's result depends only on its own sequence's
/// cached keys and values, never on the rest of the batch.
///
/// Keys are stored transposed inside a block — for each dimension, the block's positions side
/// by side (`[dimension][blockSize]`) — so q·k for 16 positions is 16 lanes of one FMA chain
/// over the dimensions, with no horizontal sums. Values are stored by position
/// (`[blockSize][dimension]`), the order the weighted sum reads them in.
public enum PagedAttention {
    /// Where one layer's keys and values of one KV head live in the block pool.
    public struct Layout {
        /// Start of block 0 of the pool.
        public var base: UnsafeMutablePointer<Float>
        /// Floats from one block to the next.
        public var floatsPerBlock: Int
        /// Positions per block.
        public var blockSize: Int
        /// Floats from a block's start to this layer's (and KV head's) first key / value: the key
        /// of position i, dimension d is at `keyOffset + d * blockSize + i`.
        public var keyOffset: Int
        public var valueOffset: Int
        /// Floats between consecutive positions' values.
        public var valueStride: Int

        public init(base: UnsafeMutablePointer<Float>, floatsPerBlock: Int, blockSize: Int, keyOffset: Int,
                    valueOffset: Int, valueStride: Int) {
            self.base = base
            self.floatsPerBlock = floatsPerBlock
            self.blockSize = blockSize
            self.keyOffset = keyOffset
            self.valueOffset = valueOffset
            self.valueStride = valueStride
        }

        /// Dimension 0 of the keys of the block holding `position` (position 0 of the block).
        @inline(__always)
        func keys(_ table: UnsafePointer<Int32>, _ position: Int) -> UnsafeMutablePointer<Float> {
            base + Int(table[position / blockSize]) * floatsPerBlock + keyOffset
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

            // Scores, block by block: with 16 positions per vector, each key row is loaded once
            // for all heads and the dot products need no horizontal sums.
            var position = first
            while position <= last {
                let blockStart = position / blockSize * blockSize
                let blockEnd = min(last + 1, blockStart + blockSize)
                let keys = layout.keys(blockTable, position)
                if blockSize % 16 == 0 {
                    var lane0 = (position - blockStart) / 16 * 16
                    while blockStart + lane0 < blockEnd {
                        var acc = InlineArray<G, SIMD16<Float>>(repeating: SIMD16<Float>())
                        var row = keys + lane0
                        for d in 0..<headDim {
                            let k = VectorMath.load(row)
                            for h in 0..<G { acc[h] = acc[h].addingProduct(SIMD16(repeating: query[h * headDim + d]), k) }
                            row += blockSize
                        }
                        // Lanes outside [position, blockEnd) belong to other queries' ranges or to
                        // unwritten slots: computed alongside, never stored.
                        for lane in 0..<16 {
                            let p = blockStart + lane0 + lane
                            guard p >= position, p < blockEnd else { continue }
                            for h in 0..<G { scores[h * count + p - first] = acc[h][lane] * scale }
                        }
                        lane0 += 16
                    }
                } else {
                    for p in position..<blockEnd {
                        let column = keys + (p - blockStart)
                        for h in 0..<G {
                            var dot: Float = 0
                            for d in 0..<headDim { dot = dot.addingProduct(query[h * headDim + d], column[d * blockSize]) }
                            scores[h * count + p - first] = dot * scale
                        }
                    }
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
