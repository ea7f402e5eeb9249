// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2) and for
// AVX-512 BF16 (BF16Kernels).
import KernelInterface

/// How both attention kernels (`PagedAttention`, `PairAttention`) cut a tile's rows into passes
/// and what a pass knows of its rows: the tiling that decides which loads rows share, never an
/// operation of a row.
enum AttentionPasses {
    /// Rows of the next pass when `left` rows remain: the widest the registers allow first,
    /// the rest in narrower passes. Which pass a row lands in changes only which loads it
    /// shares.
    @inline(__always)
    static func width(left: Int) -> Int {
        if left >= 16 && LevelTuning.attentionRows >= 16 { return 16 }
        if left >= 8 && LevelTuning.attentionRows >= 8 { return 8 }
        if left >= 6 && LevelTuning.attentionRows >= 6 { return 6 }
        if left >= 4 && LevelTuning.attentionRows >= 4 { return 4 }
        return left >= 2 ? 2 : 1
    }

    @inline(__always)
    static func forEach(_ rows: Int, _ body: (_ firstRow: Int, _ width: Int) -> Void) {
        var row = 0
        while row < rows {
            let width = width(left: rows - row)
            body(row, width)
            row += width
        }
    }
}

/// The R rows of one pass: query vector, range of positions, score row and output of each.
struct AttentionRows<let R: Int> {
    var query: InlineArray<R, UnsafePointer<Float>>
    var first: InlineArray<R, Int>
    var last: InlineArray<R, Int>
    var scores: InlineArray<R, UnsafeMutablePointer<Float>>
    var out: InlineArray<R, UnsafeMutablePointer<Float>>

    /// Rows `firstRow..<firstRow + R` of `t` (row = query token · groupHeads + head).
    @inline(__always)
    init(tile t: AttentionTile, firstRow: Int) {
        query = .init(repeating: t.queries)
        first = .init(repeating: 0)
        last = .init(repeating: 0)
        scores = .init(repeating: t.scores)
        out = .init(repeating: t.out)
        for r in 0..<R {
            let row = firstRow + r
            let i = row / t.groupHeads, h = row % t.groupHeads
            query[r] = t.queries + i * t.queryStride + h * t.headDim
            first[r] = t.first(i)
            last[r] = t.position + i
            scores[r] = t.scores + row * t.scoreRowStride
            out[r] = t.out + i * t.outStride + h * t.headDim
        }
    }

    var lowestFirst: Int { var m = first[0]; for r in 1..<R { m = min(m, first[r]) }; return m }
    var highestFirst: Int { var m = first[0]; for r in 1..<R { m = max(m, first[r]) }; return m }
    var lowestLast: Int { var m = last[0]; for r in 1..<R { m = min(m, last[r]) }; return m }
    var highestLast: Int { var m = last[0]; for r in 1..<R { m = max(m, last[r]) }; return m }

    /// Writes the q·k sums of N groups of 16 positions (group j from `starts[j]`, none where
    /// -1), times `scale`, to each row's scores, only the lanes inside the row's range.
    @inline(__always)
    func storeScores<let N: Int>(_ acc: InlineArray<R, InlineArray<N, SIMD16<Float>>>, starts: InlineArray<N, Int>,
                                 scale: Float) {
        for j in 0..<N where starts[j] >= 0 {
            let start = starts[j]
            for r in 0..<R {
                let first = first[r], last = last[r]
                if start >= first && start + 15 <= last {
                    // The whole group is in the row's range: one vector store.
                    VectorMath.store(acc[r][j] * scale, scores[r] + start - first)
                } else if start + 15 >= first && start <= last {
                    for lane in max(0, first - start)...min(15, last - start) {
                        scores[r][start + lane - first] = acc[r][j][lane] * scale
                    }
                }
            }
        }
    }
}

/// Where the keys of N consecutive groups of 16 positions from `groupStart` begin (a group past
/// `high` left at the first group's, its start -1), and (`ahead`) those of the N groups after
/// them, for the prefetch hints (past `high`: this step's again, already in cache).
struct KeyGroups<let N: Int> {
    var keys: InlineArray<N, UnsafeRawPointer>
    var starts: InlineArray<N, Int>
    var next: InlineArray<N, UnsafeRawPointer>

    @inline(__always)
    init(_ layout: AttentionLayout, _ table: UnsafePointer<Int32>, from groupStart: Int, high: Int, ahead: Bool) {
        keys = .init(repeating: UnsafeRawPointer(layout.key(table, groupStart)))
        starts = .init(repeating: -1)
        for j in 0..<N {
            let start = groupStart + j * 16
            guard start <= high else { break }
            keys[j] = UnsafeRawPointer(layout.key(table, start))
            starts[j] = start
        }
        next = keys
        if ahead {
            for j in 0..<N {
                let start = groupStart + (N + j) * 16
                if start <= high { next[j] = UnsafeRawPointer(layout.key(table, start)) }
            }
        }
    }
}
