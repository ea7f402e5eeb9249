// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2).
import KernelInterface

/// Causal attention of a tile of query tokens over keys and values kept in paged KV blocks.
///
/// A tile is several consecutive query tokens of one sequence and the query heads that share
/// one KV head (GQA): `queryCount × groupHeads` *rows*, each one query vector with its own
/// range of positions. The rows are processed R at a time (as many as the level's registers
/// hold accumulators for: `LevelTuning.attentionRows`), and every key and value vector is
/// loaded once for those R rows. A tile with several passes walks the positions in spans of
/// `LevelTuning.attentionSpanBytes` of keys (values) and runs every pass over a span while it
/// is in L1 or L2, so it reads the sequence's KV memory from L3 or memory once per tile
/// (flash-attention's tiling; the scores of a tile stay in per-thread scratch, in L2).
///
/// Batch invariance: a row's result is the same three steps whatever shares its tile —
/// score = (Σ_d q_d·k_d, one FMA chain in dimension order) · scale for each position of its
/// range; a softmax over exactly its range (`VectorMath.maximum`, `expInPlace`, `scale`); and
/// for each group of 16 output dimensions, Σ_p weight_p · v_p as one FMA chain over its
/// positions in increasing order. Rows of a tile share loads, never sums: the tile shape, the
/// other rows, the chunk of prefill and the number of queries change no operation of a row.
/// A decode token is a tile of one query and gets the same bits it would inside a prefill
/// tile.
///
/// Keys are stored transposed inside a block — for each dimension, the block's positions side
/// by side (`[dimension][blockSize]`) — so q·k for 16 positions is 16 lanes of one FMA chain
/// over the dimensions, with no horizontal sums. Values are stored by chunks of 16 dimensions
/// and inside a chunk by position (`[dimension / 16][blockSize][16]`), so the weighted sum's
/// sweep over the positions of a chunk reads consecutive memory within a block. f16 elements
/// are widened to f32 as they are loaded (`vcvtph2ps`, F16C); all arithmetic is f32. bf16 keys
/// and values, stored in pairs, go to `PairAttention` (the same tiling, with pair products).
enum PagedAttention {
    static func attend(_ tile: AttentionTile) {
        precondition(tile.headDim % 16 == 0 && tile.groupHeads >= 1 && tile.queryCount >= 1)
        switch tile.layout.precision {
        case .f32: attend(tile, element: Float.self)
        case .f16: attend(tile, element: Float16.self)
        case .bf16: LevelPairAttention.attend(tile)
        }
    }

    private static func attend<E: KVElement>(_ tile: AttentionTile, element: E.Type) {
        let rows = tile.queryCount * tile.groupHeads
        let low = tile.first(0), high = tile.position + tile.queryCount - 1
        // With one pass of rows there is nothing to share; with several, the keys and values
        // are walked a span at a time and every pass visits the span while it is in L1, so the
        // tile reads its KV memory from L2/L3 once instead of once per pass. A span is a run of
        // positions aligned to multiples of 16; spans change which loads a row shares and where
        // its running sums wait between spans (in `out`, exactly as they were), never an
        // operation of a row.
        let span = AttentionPasses.width(left: rows) == rows ? Int.max / 2
            : AttentionTile.spanPositions(headDim: tile.headDim, elementBytes: E.bytes, spanBytes: LevelTuning.attentionSpanBytes)
        let spanned = span < Int.max / 2
        if spanned {
            for row in 0..<rows {
                let i = row / tile.groupHeads, h = row % tile.groupHeads
                (tile.out + i * tile.outStride + h * tile.headDim).initialize(repeating: 0, count: tile.headDim)
            }
        }

        var spanStart = low / 16 * 16
        while spanStart <= high {
            let spanEnd = min(high, spanStart + span - 1)
            AttentionPasses.forEach(rows) { first, width in
                switch width {
                case 16: Pass<E, 16>(tile: tile, firstRow: first).scores(from: spanStart, to: spanEnd, onlyPass: !spanned)
                case 8: Pass<E, 8>(tile: tile, firstRow: first).scores(from: spanStart, to: spanEnd, onlyPass: !spanned)
                case 6: Pass<E, 6>(tile: tile, firstRow: first).scores(from: spanStart, to: spanEnd, onlyPass: !spanned)
                case 4: Pass<E, 4>(tile: tile, firstRow: first).scores(from: spanStart, to: spanEnd, onlyPass: !spanned)
                case 2: Pass<E, 2>(tile: tile, firstRow: first).scores(from: spanStart, to: spanEnd, onlyPass: !spanned)
                default: Pass<E, 1>(tile: tile, firstRow: first).scores(from: spanStart, to: spanEnd, onlyPass: !spanned)
                }
            }
            spanStart += span
        }

        for row in 0..<rows {
            let i = row / tile.groupHeads
            let scores = tile.scores + row * tile.scoreRowStride, count = tile.position + i - tile.first(i) + 1
            let peak = VectorMath.maximum(scores, count: count)
            let total = VectorMath.expInPlace(scores, count: count, shift: peak)
            VectorMath.scale(scores, count: count, by: 1 / total)
        }

        spanStart = low / 16 * 16
        while spanStart <= high {
            let spanEnd = min(high, spanStart + span - 1)
            AttentionPasses.forEach(rows) { first, width in
                switch width {
                case 16: Pass<E, 16>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                case 8: Pass<E, 8>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                case 6: Pass<E, 6>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                case 4: Pass<E, 4>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                case 2: Pass<E, 2>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                default: Pass<E, 1>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                }
            }
            spanStart += span
        }
    }

    /// R rows of one tile, over one span of positions: the scores, or the weighted sum of
    /// values.
    private struct Pass<E: KVElement, let R: Int> {
        let tile: AttentionTile
        let rows: AttentionRows<R>

        @inline(__always)
        init(tile t: AttentionTile, firstRow: Int) {
            tile = t
            rows = AttentionRows<R>(tile: t, firstRow: firstRow)
        }

        /// Scores of the rows' positions in `from...to` (`from` a multiple of 16); `onlyPass`
        /// when this is the tile's only pass (a decode token).
        @inline(__always)
        func scores(from: Int, to: Int, onlyPass: Bool) {
            let low = max(from, rows.lowestFirst), high = min(to, rows.highestLast)
            guard low <= high else { return }
            if tile.layout.blockSize % 16 == 0 {
                // N groups of 16 positions per step, as many as leave R × N accumulators in
                // registers. The step shape changes how many chains are in flight, never a chain.
                if R * 4 <= LevelTuning.accumulators {
                    vectorScores(low: low, high: high, groups: InlineArray<4, Int>(repeating: 0), onlyPass: onlyPass)
                } else if R * 2 <= LevelTuning.accumulators {
                    vectorScores(low: low, high: high, groups: InlineArray<2, Int>(repeating: 0), onlyPass: onlyPass)
                } else {
                    vectorScores(low: low, high: high, groups: InlineArray<1, Int>(repeating: 0), onlyPass: onlyPass)
                }
            } else {
                scalarScores(low: low, high: high)
            }
        }

        /// A tile's only pass reads its keys from L3 or memory a block at a time, the blocks
        /// scattered over the pool, which the hardware prefetchers cannot guess: each step of a
        /// group then asks for the same dimension's line of the next groups, which the next
        /// step of the group loop reads (a C model of a decode token's scores over 1,296
        /// positions: 180 → 125-135 µs on Zen 3). Two calls, so that each loop is compiled
        /// without the other's branch.
        @inline(__always)
        func vectorScores<let N: Int>(low: Int, high: Int, groups: InlineArray<N, Int>, onlyPass: Bool) {
            if onlyPass {
                vectorScores(low: low, high: high, groups: groups, prefetch: true)
            } else {
                vectorScores(low: low, high: high, groups: groups, prefetch: false)
            }
        }

        /// Adds the rows' weighted values of positions `from...to` to their sums: from zero,
        /// or (`resume`) from the sums the previous span left in `out`.
        @inline(__always)
        func values(from: Int, to: Int, resume: Bool) {
            let chunks = tile.headDim / 16
            if R * 4 <= LevelTuning.accumulators && chunks % 4 == 0 {
                weightedValues(from: from, to: to, resume: resume, chunks: InlineArray<4, Int>(repeating: 0))
            } else if R * 2 <= LevelTuning.accumulators && chunks % 2 == 0 {
                weightedValues(from: from, to: to, resume: resume, chunks: InlineArray<2, Int>(repeating: 0))
            } else {
                weightedValues(from: from, to: to, resume: resume, chunks: InlineArray<1, Int>(repeating: 0))
            }
        }

        /// q·k for N groups of 16 positions at a time, over `low...high`: per key dimension,
        /// N key rows and R broadcast query values feed R × N fused multiply-adds. Lanes
        /// outside a row's range (other rows' ranges, unwritten slots, padding) are computed
        /// and dropped.
        @inline(__always)
        func vectorScores<let N: Int>(low: Int, high: Int, groups: InlineArray<N, Int>, prefetch: Bool) {
            let layout = tile.layout, table = tile.blockTable, headDim = tile.headDim, scale = tile.scale
            let blockSize = layout.blockSize
            let dimensionBytes = blockSize * E.bytes
            var groupStart = low / 16 * 16
            while groupStart <= high {
                let group = KeyGroups<N>(layout, table, from: groupStart, high: high, ahead: prefetch)
                let keys = group.keys, next = group.next
                var acc = InlineArray<R, InlineArray<N, SIMD16<Float>>>(repeating: .init(repeating: SIMD16<Float>()))
                for d in 0..<headDim {
                    if prefetch {
                        for j in 0..<N { LevelPrefetch.toL2(next[j] + d * dimensionBytes) }
                    }
                    var k = InlineArray<N, SIMD16<Float>>(repeating: SIMD16<Float>())
                    for j in 0..<N { k[j] = E.load16(keys[j] + d * dimensionBytes) }
                    for r in 0..<R {
                        let q = SIMD16<Float>(repeating: rows.query[r][d])
                        for j in 0..<N { acc[r][j] = acc[r][j].addingProduct(q, k[j]) }
                    }
                }
                rows.storeScores(acc, starts: group.starts, scale: scale)
                groupStart += N * 16
            }
        }

        /// q·k one position at a time over `low...high`, for block sizes that are not a
        /// multiple of 16.
        @inline(__always)
        func scalarScores(low: Int, high: Int) {
            let layout = tile.layout, table = tile.blockTable, headDim = tile.headDim
            let blockSize = layout.blockSize
            for r in 0..<R {
                let from = max(low, rows.first[r]), to = min(high, rows.last[r])
                guard from <= to else { continue }
                for p in from...to {
                    let column = UnsafeRawPointer(layout.key(table, p))
                    var dot: Float = 0
                    for d in 0..<headDim {
                        dot = dot.addingProduct(rows.query[r][d], E.load(column + d * blockSize * E.bytes))
                    }
                    rows.scores[r][p - rows.first[r]] = dot * tile.scale
                }
            }
        }

        /// out_r = Σ_p weight_r[p] · v_p, C chunks of 16 dimensions at a time: per position, C
        /// value loads and R broadcast weights feed R × C fused multiply-adds, and every (row,
        /// dimension) sum runs over that row's positions in increasing order — across spans
        /// too, since a span resumes the sum the previous one stored. Positions inside every
        /// row's range take the unmasked loop; the few at the ragged edges (a causal triangle,
        /// a sliding window's start) are swept before and after it in order, and a row outside
        /// its range keeps its sum untouched (a select, not an added zero).
        @inline(__always)
        func weightedValues<let C: Int>(from: Int, to: Int, resume: Bool, chunks: InlineArray<C, Int>) {
            let low = max(from, rows.lowestFirst), high = min(to, rows.highestLast)
            guard low <= high else { return }
            let commonLow = max(from, rows.highestFirst), commonHigh = min(to, rows.lowestLast)
            // weights[r][p] is row r's softmax weight of position p.
            var weights = InlineArray<R, UnsafeMutablePointer<Float>>(repeating: rows.scores[0])
            for r in 0..<R { weights[r] = rows.scores[r] - rows.first[r] }
            if !resume && commonLow == low && commonHigh == high {
                blockMajorValues(weights, from: low, to: high, chunks: chunks)
                return
            }
            for c0 in stride(from: 0, to: tile.headDim / 16, by: C) {
                var acc = InlineArray<R, InlineArray<C, SIMD16<Float>>>(repeating: .init(repeating: SIMD16<Float>()))
                if resume {
                    for r in 0..<R {
                        for c in 0..<C { acc[r][c] = VectorMath.load(rows.out[r] + (c0 + c) * 16) }
                    }
                }
                if commonLow <= commonHigh {
                    sweep(&acc, weights, c0: c0, from: low, to: commonLow - 1, masked: true, prefetch: false)
                    // Without `resume` this is the tile's only pass, over its whole range (a tile
                    // of a few queries; one query takes `blockMajorValues` above): its values come
                    // from L3 or memory a chunk at a time, in runs of a block's 16 positions
                    // scattered over the pool, which the hardware prefetchers follow poorly, so
                    // each step asks for its position's line of the next sweep's chunk. Two
                    // calls, so that each loop is compiled without the other's branch.
                    if !resume {
                        sweep(&acc, weights, c0: c0, from: commonLow, to: commonHigh, masked: false, prefetch: true)
                    } else {
                        sweep(&acc, weights, c0: c0, from: commonLow, to: commonHigh, masked: false, prefetch: false)
                    }
                    sweep(&acc, weights, c0: c0, from: commonHigh + 1, to: high, masked: true, prefetch: false)
                } else {
                    sweep(&acc, weights, c0: c0, from: low, to: high, masked: true, prefetch: false)
                }
                for r in 0..<R {
                    for c in 0..<C { VectorMath.store(acc[r][c], rows.out[r] + (c0 + c) * 16) }
                }
            }
        }

        /// The weighted sum of a tile's only pass whose rows share one range (the query heads of
        /// a decode token), block by block: every chunk of a block before the next block, so a
        /// block's values (16 KiB of f32 per layer) are read as one run of consecutive memory,
        /// where the chunk-major sweep read 16 runs of 1 KiB per block, each at a block address
        /// the hardware prefetchers cannot guess. Each step of a block asks for the same line of
        /// the next block. A row's sums of C chunks wait in `out` between blocks, stored and
        /// loaded back exactly, so every (row, dimension) sum is the same chain of fused
        /// multiply-adds over the positions in increasing order as in `sweep`: the same bits.
        @inline(__always)
        func blockMajorValues<let C: Int>(_ weights: InlineArray<R, UnsafeMutablePointer<Float>>,
                                          from low: Int, to high: Int, chunks: InlineArray<C, Int>) {
            let layout = tile.layout, table = tile.blockTable, blockSize = layout.blockSize
            let positionBytes = 16 * E.bytes, chunkBytes = layout.valueChunkStride * E.bytes
            var p = low
            while p <= high {
                let end = min(high, (p / blockSize + 1) * blockSize - 1)
                let values = UnsafeRawPointer(layout.value(table, p))
                // The next block's values from its start (this block's again on the last).
                let next = end < high ? UnsafeRawPointer(layout.value(table, end + 1)) : values
                for c0 in stride(from: 0, to: tile.headDim / 16, by: C) {
                    var sums = InlineArray<R, InlineArray<C, SIMD16<Float>>>(repeating: .init(repeating: SIMD16<Float>()))
                    if p != low {
                        for r in 0..<R {
                            for c in 0..<C { sums[r][c] = VectorMath.load(rows.out[r] + (c0 + c) * 16) }
                        }
                    }
                    for q in p...end {
                        let at = (q - p) * positionBytes
                        for c in 0..<C { LevelPrefetch.toL2(next + (c0 + c) * chunkBytes + at) }
                        var v = InlineArray<C, SIMD16<Float>>(repeating: SIMD16<Float>())
                        for c in 0..<C { v[c] = E.load16(values + (c0 + c) * chunkBytes + at) }
                        for r in 0..<R {
                            let weight = SIMD16<Float>(repeating: weights[r][q])
                            for c in 0..<C { sums[r][c] = sums[r][c].addingProduct(weight, v[c]) }
                        }
                    }
                    for r in 0..<R {
                        for c in 0..<C { VectorMath.store(sums[r][c], rows.out[r] + (c0 + c) * 16) }
                    }
                }
                p = end + 1
            }
        }

        /// Adds positions `from...to` (none when `to < from`) to the sums of chunks `c0..<c0+C`,
        /// in order; `masked` checks each row's range.
        @inline(__always)
        func sweep<let C: Int>(_ acc: inout InlineArray<R, InlineArray<C, SIMD16<Float>>>,
                               _ weights: InlineArray<R, UnsafeMutablePointer<Float>>, c0: Int,
                               from: Int, to: Int, masked: Bool, prefetch: Bool) {
            guard from <= to else { return }
            let layout = tile.layout, table = tile.blockTable, blockSize = layout.blockSize
            let positionBytes = 16 * E.bytes, chunkBytes = layout.valueChunkStride * E.bytes
            // Values of the block holding `p`, at chunk c0: the pointer is moved along inside a
            // block and looked up in the block table only at a block's start, in the same loop,
            // so the sums stay in registers over the whole range (a loop per block had them
            // stored and reloaded at every block boundary).
            let chunkBase = UnsafeRawPointer(layout.base) + layout.valueOffset * E.bytes + c0 * chunkBytes
            let blockBytes = layout.elementsPerBlock * E.bytes
            var sums = acc
            var block = from / blockSize, offset = from - block * blockSize
            var value = chunkBase + Int(table[block]) * blockBytes + offset * positionBytes
            var p = from
            while true {
                if prefetch {
                    // The next sweep's chunks of this position (one line each for f32 and f16).
                    for c in 0..<C { LevelPrefetch.toL2(value + (C + c) * chunkBytes) }
                }
                var v = InlineArray<C, SIMD16<Float>>(repeating: SIMD16<Float>())
                for c in 0..<C { v[c] = E.load16(value + c * chunkBytes) }
                for r in 0..<R {
                    let weight = SIMD16<Float>(repeating: weights[r][p])
                    if masked {
                        let inRange = p >= rows.first[r] && p <= rows.last[r]
                        for c in 0..<C { sums[r][c] = inRange ? sums[r][c].addingProduct(weight, v[c]) : sums[r][c] }
                    } else {
                        for c in 0..<C { sums[r][c] = sums[r][c].addingProduct(weight, v[c]) }
                    }
                }
                guard p < to else { break }
                p += 1
                offset += 1
                if offset == blockSize {
                    block += 1
                    offset = 0
                    value = chunkBase + Int(table[block]) * blockBytes
                } else {
                    value += positionBytes
                }
            }
            acc = sums
        }
    }
}

/// A stored KV element type, widened to f32 as attention loads it.
protocol KVElement {
    static var bytes: Int { get }
    /// 16 consecutive elements at `p` as floats.
    static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float>
    static func load(_ p: UnsafeRawPointer) -> Float
}

extension Float: KVElement {
    @inline(__always) static var bytes: Int { 4 }
    @inline(__always) static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float> {
        p.loadUnaligned(as: SIMD16<Float>.self)
    }
    @inline(__always) static func load(_ p: UnsafeRawPointer) -> Float { p.loadUnaligned(as: Float.self) }
}

extension Float16: KVElement {
    @inline(__always) static var bytes: Int { 2 }
    /// One `vcvtph2ps` (checked in the disassembly of both levels).
    @inline(__always) static func load16(_ p: UnsafeRawPointer) -> SIMD16<Float> {
        SIMD16<Float>(p.loadUnaligned(as: SIMD16<Float16>.self))
    }
    @inline(__always) static func load(_ p: UnsafeRawPointer) -> Float { Float(p.loadUnaligned(as: Float16.self)) }
}

/// f32 ↔ f16 conversion of KV elements (round to nearest even; `vcvtps2ph`/`vcvtph2ps`).
enum HalfConversion {
    static func toHalf(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float16>) {
        var i = 0
        while i + 16 <= count {
            UnsafeMutableRawPointer(out + i).storeBytes(of: SIMD16<Float16>(VectorMath.load(x + i)), as: SIMD16<Float16>.self)
            i += 16
        }
        while i < count { out[i] = Float16(x[i]); i += 1 }
    }

    static func fromHalf(_ x: UnsafePointer<Float16>, count: Int, into out: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 16 <= count { VectorMath.store(Float16.load16(x + i), out + i); i += 16 }
        while i < count { out[i] = Float(x[i]); i += 1 }
    }
}
