// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2).
import KernelInterface

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
enum PagedAttention {
    static func attend(query: UnsafePointer<Float>, groupHeads: Int, headDim: Int, layout: AttentionLayout,
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
        let layout: AttentionLayout
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
            if layout.blockSize % 16 == 0 {
                // As many groups of 16 positions as the level's registers hold accumulators for
                // (G × N): 4 groups for up to 4 heads on AVX-512. The tile does not change any
                // score's chain of operations, only how many are in flight.
                if G * 4 <= LevelTuning.accumulators {
                    vectorScores(heads: heads, groups: InlineArray<4, Int>(repeating: 0))
                } else if G * 2 <= LevelTuning.accumulators {
                    vectorScores(heads: heads, groups: InlineArray<2, Int>(repeating: 0))
                } else {
                    vectorScores(heads: heads, groups: InlineArray<1, Int>(repeating: 0))
                }
            } else {
                scalarScores(heads: heads)
            }

            // Softmax per head.
            for h in 0..<G {
                let row = scores + h * count
                let peak = VectorMath.maximum(row, count: count)
                let total = VectorMath.expInPlace(row, count: count, shift: peak)
                VectorMath.scale(row, count: count, by: 1 / total)
            }

            let chunks = headDim / 16
            if G * 4 <= LevelTuning.accumulators && chunks % 4 == 0 {
                weightedValues(heads: heads, chunks: InlineArray<4, Int>(repeating: 0))
            } else if G * 2 <= LevelTuning.accumulators && chunks % 2 == 0 {
                weightedValues(heads: heads, chunks: InlineArray<2, Int>(repeating: 0))
            } else {
                weightedValues(heads: heads, chunks: InlineArray<1, Int>(repeating: 0))
            }
        }

        /// q·k for N groups of 16 positions at a time: per key dimension, N key rows and G
        /// broadcast query values feed G × N fused multiply-adds. Lanes outside [first, last]
        /// (other queries' ranges, unwritten slots, padding groups) are computed and dropped.
        @inline(__always)
        func vectorScores<let G: Int, let N: Int>(heads: InlineArray<G, Int>, groups: InlineArray<N, Int>) {
            let count = last - first + 1
            let blockSize = layout.blockSize
            var groupStart = first / 16 * 16
            while groupStart <= last {
                var rows = InlineArray<N, UnsafeMutablePointer<Float>>(repeating: layout.keys(blockTable, groupStart))
                var starts = InlineArray<N, Int>(repeating: groupStart)
                for j in 0..<N {
                    let start = groupStart + j * 16
                    guard start <= last else { break }
                    rows[j] = layout.keys(blockTable, start) + start % blockSize
                    starts[j] = start
                }
                var acc = InlineArray<G, InlineArray<N, SIMD16<Float>>>(repeating: .init(repeating: SIMD16<Float>()))
                for d in 0..<headDim {
                    var k = InlineArray<N, SIMD16<Float>>(repeating: SIMD16<Float>())
                    for j in 0..<N { k[j] = VectorMath.load(rows[j] + d * blockSize) }
                    for h in 0..<G {
                        let q = SIMD16<Float>(repeating: query[h * headDim + d])
                        for j in 0..<N { acc[h][j] = acc[h][j].addingProduct(q, k[j]) }
                    }
                }
                for j in 0..<N where starts[j] == groupStart + j * 16 {
                    if starts[j] >= first && starts[j] + 15 <= last {
                        // The whole group is wanted: one vector store per head.
                        for h in 0..<G { VectorMath.store(acc[h][j] * scale, scores + h * count + starts[j] - first) }
                        continue
                    }
                    for lane in 0..<16 {
                        let p = starts[j] + lane
                        guard p >= first, p <= last else { continue }
                        for h in 0..<G { scores[h * count + p - first] = acc[h][j][lane] * scale }
                    }
                }
                groupStart += N * 16
            }
        }

        /// q·k one position at a time, for block sizes that are not a multiple of 16.
        @inline(__always)
        func scalarScores<let G: Int>(heads: InlineArray<G, Int>) {
            let count = last - first + 1
            let blockSize = layout.blockSize
            for p in first...last {
                let column = layout.keys(blockTable, p) + p % blockSize
                for h in 0..<G {
                    var dot: Float = 0
                    for d in 0..<headDim { dot = dot.addingProduct(query[h * headDim + d], column[d * blockSize]) }
                    scores[h * count + p - first] = dot * scale
                }
            }
        }

        /// out_h = Σ_p score[h][p] · v_p, C chunks of 16 dimensions at a time: per position, C
        /// value loads and G broadcast scores feed G × C fused multiply-adds, and every (head,
        /// dimension) sum runs over the positions in order.
        @inline(__always)
        func weightedValues<let G: Int, let C: Int>(heads: InlineArray<G, Int>, chunks: InlineArray<C, Int>) {
            let count = last - first + 1
            let blockSize = layout.blockSize
            for c0 in stride(from: 0, to: headDim / 16, by: C) {
                var acc = InlineArray<G, InlineArray<C, SIMD16<Float>>>(repeating: .init(repeating: SIMD16<Float>()))
                var position = first
                while position <= last {
                    let blockEnd = min(last + 1, (position / blockSize + 1) * blockSize)
                    var value = layout.value(blockTable, position) + c0 * 16
                    for p in position..<blockEnd {
                        var v = InlineArray<C, SIMD16<Float>>(repeating: SIMD16<Float>())
                        for c in 0..<C { v[c] = VectorMath.load(value + c * 16) }
                        for h in 0..<G {
                            let weight = SIMD16<Float>(repeating: scores[h * count + p - first])
                            for c in 0..<C { acc[h][c] = acc[h][c].addingProduct(weight, v[c]) }
                        }
                        value += layout.valueStride
                    }
                    position = blockEnd
                }
                for h in 0..<G {
                    for c in 0..<C { VectorMath.store(acc[h][c], out + h * headDim + (c0 + c) * 16) }
                }
            }
        }
    }
}
