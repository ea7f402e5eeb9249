// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2) with the
// pair product emulated, and once with AVX-512 BF16's `vdpbf16ps` (BF16Kernels).
import KernelInterface

/// `PagedAttention` over bf16 keys and values (`KVPrecision.bf16`), with pair products: every
/// step multiplies two bf16 pairs per f32 lane and adds both products to the lane's sum
/// (`PairProduct.accumulate`: `vdpbf16ps`, or the same two fused multiply-adds), so the scores
/// and the weighted sums take half the instructions of f32 fused multiply-adds.
///
/// The tiling is `PagedAttention`'s: a tile's rows R at a time, each key and value loaded once
/// for the R rows, spans of `LevelTuning.attentionSpanBytes` of keys walked by every pass while
/// they are in cache. What a row computes, whatever shares its tile:
/// - its query rounded to bf16; score_p = (Σ over dimension pairs j, in order, of q_{2j+1}·k_{2j+1}
///   then q_{2j}·k_{2j}, each added to the sum and rounded) · scale, for each position of its range;
/// - the softmax over exactly its range in f32 (`VectorMath.maximum`, `expInPlace`), each weight
///   multiplied by 1/Σ and rounded to bf16 (`BFloat16Bits`), position by position in pairs
///   (2P, 2P+1) from its first position's pair, a position outside its range weighing 0;
/// - for each of its pairs P in increasing order, out_d += w_{2P+1}·v_{2P+1,d} then w_{2P}·v_{2P,d}.
/// A weight of 0 adds 0 (a stored value is finite; the slot past the tile's last position,
/// possibly never written, is read as 0), so the pairs a row shares with its neighbours'
/// positions leave its sums as they were.
enum PairAttention {
    // Never inlined into `PagedAttention.attend`: there it grew the caller past what the
    // optimizer specializes, and the f16 scores loop ran unspecialized, 60% slower (measured).
    @inline(never)
    static func attend(_ tile: AttentionTile) {
        precondition(tile.layout.precision == .bf16 && tile.headDim % 16 == 0 && tile.layout.blockSize % 2 == 0
                     && tile.groupHeads >= 1 && tile.queryCount >= 1)
        let rows = tile.queryCount * tile.groupHeads
        let low = tile.first(0), high = tile.position + tile.queryCount - 1
        let span = AttentionPasses.width(left: rows) == rows ? Int.max / 2
            : AttentionTile.spanPositions(headDim: tile.headDim, elementBytes: 2, spanBytes: LevelTuning.attentionSpanBytes)
        let spanned = span < Int.max / 2
        // Every row's query as bf16 pairs, once per tile: word j of row r is dimensions 2j and
        // 2j+1. (Allocated, not a closure's scratch: the inliner kept `vdpbf16ps` a call there.)
        let pairs = tile.headDim / 2
        let queryPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: rows * pairs)
        defer { queryPairs.deallocate() }
        for row in 0..<rows {
            let i = row / tile.groupHeads, h = row % tile.groupHeads
            BFloat16Vector.convert(tile.queries + i * tile.queryStride + h * tile.headDim, count: tile.headDim,
                                   into: UnsafeMutableRawPointer(queryPairs + row * pairs))
        }
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
                case 16: Pass<16>(tile: tile, firstRow: first).scores(queryPairs + first * pairs, from: spanStart, to: spanEnd, onlyPass: !spanned)
                case 8: Pass<8>(tile: tile, firstRow: first).scores(queryPairs + first * pairs, from: spanStart, to: spanEnd, onlyPass: !spanned)
                case 6: Pass<6>(tile: tile, firstRow: first).scores(queryPairs + first * pairs, from: spanStart, to: spanEnd, onlyPass: !spanned)
                case 4: Pass<4>(tile: tile, firstRow: first).scores(queryPairs + first * pairs, from: spanStart, to: spanEnd, onlyPass: !spanned)
                case 2: Pass<2>(tile: tile, firstRow: first).scores(queryPairs + first * pairs, from: spanStart, to: spanEnd, onlyPass: !spanned)
                default: Pass<1>(tile: tile, firstRow: first).scores(queryPairs + first * pairs, from: spanStart, to: spanEnd, onlyPass: !spanned)
                }
            }
            spanStart += span
        }

        for row in 0..<rows {
            let i = row / tile.groupHeads
            let first = tile.first(i)
            let scores = tile.scores + row * tile.scoreRowStride, count = tile.position + i - first + 1
            let peak = VectorMath.maximum(scores, count: count)
            let total = VectorMath.expInPlace(scores, count: count, shift: peak)
            packWeights(scores, count: count, lead: first % 2, scale: 1 / total)
        }

        spanStart = low / 16 * 16
        while spanStart <= high {
            let spanEnd = min(high, spanStart + span - 1)
            AttentionPasses.forEach(rows) { first, width in
                switch width {
                case 16: Pass<16>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                case 8: Pass<8>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                case 6: Pass<6>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                case 4: Pass<4>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                case 2: Pass<2>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                default: Pass<1>(tile: tile, firstRow: first).values(from: spanStart, to: spanEnd, resume: spanned)
                }
            }
            spanStart += span
        }
    }

    /// A row's `count` softmax weights (f32, from `scores`), each times `scale`, rewritten in
    /// place as bf16 from its first position's pair: bf16 element k is the weight of position
    /// first − lead + k (`lead` 0 or 1 when the first position is odd), 0 before the first and
    /// after the last position, up to a whole pair. Element k is written after weight k − lead
    /// (and every weight of its vector) is read, and a vector's bf16 end before the next
    /// vector's floats start, so nothing is overwritten before it is read.
    @inline(__always)
    static func packWeights(_ scores: UnsafeMutablePointer<Float>, count: Int, lead: Int, scale: Float) {
        let out = UnsafeMutableRawPointer(scores)
        let elements = (lead + count + 1) / 2 * 2
        var k = 0
        while k < elements {
            var w = SIMD16<Float>()
            if k >= lead && k - lead + 16 <= count {
                w = VectorMath.load(scores + k - lead)
            } else {
                for l in 0..<16 where k + l >= lead && k + l - lead < count { w[l] = scores[k + l - lead] }
            }
            let bits = PairProduct.rounded(w * scale)
            if k + 16 <= elements {
                out.storeBytes(of: bits, toByteOffset: 2 * k, as: SIMD16<UInt16>.self)
            } else {
                for l in 0..<(elements - k) { out.storeBytes(of: bits[l], toByteOffset: 2 * (k + l), as: UInt16.self) }
            }
            k += 16
        }
    }

    /// R rows of one tile, over one span of positions.
    private struct Pass<let R: Int> {
        let tile: AttentionTile
        let rows: AttentionRows<R>

        @inline(__always)
        init(tile t: AttentionTile, firstRow: Int) {
            tile = t
            rows = AttentionRows<R>(tile: t, firstRow: firstRow)
        }

        /// Scores of the rows' positions in `from...to` (`from` a multiple of 16), from their
        /// queries as bf16 pairs (`words`, `headDim / 2` a row).
        @inline(__always)
        func scores(_ words: UnsafeMutablePointer<UInt32>, from: Int, to: Int, onlyPass: Bool) {
            let low = max(from, rows.lowestFirst), high = min(to, rows.highestLast)
            guard low <= high else { return }
            if tile.layout.blockSize % 16 == 0 {
                if R * 2 <= LevelTuning.accumulators {
                    vectorScores(words, low: low, high: high, groups: InlineArray<2, Int>(repeating: 0), prefetch: onlyPass)
                } else {
                    vectorScores(words, low: low, high: high, groups: InlineArray<1, Int>(repeating: 0), prefetch: onlyPass)
                }
            } else {
                scalarScores(words, low: low, high: high)
            }
        }

        /// q·k for N groups of 16 positions at a time: per pair of key dimensions, N loads of 16
        /// positions' pairs and R broadcast query pairs feed R × N pair products. Lanes outside
        /// a row's range are computed and dropped.
        @inline(__always)
        func vectorScores<let N: Int>(_ words: UnsafeMutablePointer<UInt32>, low: Int, high: Int,
                                      groups: InlineArray<N, Int>, prefetch: Bool) {
            let layout = tile.layout, table = tile.blockTable, pairs = tile.headDim / 2, scale = tile.scale
            let pairRowBytes = layout.blockSize * 4
            var groupStart = low / 16 * 16
            while groupStart <= high {
                let group = KeyGroups<N>(layout, table, from: groupStart, high: high, ahead: prefetch)
                let keys = group.keys, next = group.next
                var acc = InlineArray<R, InlineArray<N, SIMD16<Float>>>(repeating: .init(repeating: SIMD16<Float>()))
                for d in 0..<pairs {
                    if prefetch {
                        for j in 0..<N { LevelPrefetch.toL2(next[j] + d * pairRowBytes) }
                    }
                    var k = InlineArray<N, SIMD16<UInt32>>(repeating: SIMD16<UInt32>())
                    for j in 0..<N { k[j] = (keys[j] + d * pairRowBytes).loadUnaligned(as: SIMD16<UInt32>.self) }
                    for r in 0..<R {
                        let q = words[r * pairs + d]
                        for j in 0..<N { acc[r][j] = PairProduct.accumulate(acc[r][j], broadcast: q, k[j]) }
                    }
                }
                rows.storeScores(acc, starts: group.starts, scale: scale)
                groupStart += N * 16
            }
        }

        /// q·k one position at a time, for block sizes that are not a multiple of 16: the same
        /// chain per score as a vector lane's.
        @inline(__always)
        func scalarScores(_ words: UnsafeMutablePointer<UInt32>, low: Int, high: Int) {
            let layout = tile.layout, table = tile.blockTable, pairs = tile.headDim / 2
            let pairRowBytes = layout.blockSize * 4
            for r in 0..<R {
                let from = max(low, rows.first[r]), to = min(high, rows.last[r])
                guard from <= to else { continue }
                for p in from...to {
                    let column = UnsafeRawPointer(layout.key(table, p))
                    var dot: Float = 0
                    for d in 0..<pairs {
                        dot = PairProduct.scalar(dot, words[r * pairs + d],
                                                 column.loadUnaligned(fromByteOffset: d * pairRowBytes, as: UInt32.self))
                    }
                    rows.scores[r][p - rows.first[r]] = dot * tile.scale
                }
            }
        }

        /// Adds the rows' weighted values of positions `from...to` (`from` even) to their sums:
        /// from zero, or (`resume`) from the sums the previous span left in `out`.
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

        /// out_r += Σ_P w_r[P] · v_P over the pairs of positions P of `from...to`, C chunks of 16
        /// dimensions at a time, each (row, dimension) sum over that row's pairs in increasing
        /// order: pairs in every row's range take the unmasked loop, those at the ragged edges
        /// are swept before and after it, and a row outside a pair keeps its sum untouched.
        @inline(__always)
        func weightedValues<let C: Int>(from: Int, to: Int, resume: Bool, chunks: InlineArray<C, Int>) {
            let low = max(from, rows.lowestFirst), high = min(to, rows.highestLast)
            guard low <= high else { return }
            let lowPair = low / 2, highPair = high / 2
            let commonLow = max(lowPair, rows.highestFirst / 2), commonHigh = min(highPair, rows.lowestLast / 2)
            // weights[r][P] is row r's bf16 pair of positions 2P, 2P+1.
            var weights = InlineArray<R, UnsafePointer<UInt32>>(repeating: UnsafePointer(OpaquePointer(rows.scores[0])))
            for r in 0..<R {
                weights[r] = UnsafePointer<UInt32>(OpaquePointer(rows.scores[r])) - rows.first[r] / 2
            }
            // The value slot past the tile's last position may never have been written.
            let topPair = (tile.position + tile.queryCount) % 2 == 1 ? (tile.position + tile.queryCount - 1) / 2 : Int.max
            if !resume && commonLow == lowPair && commonHigh == highPair {
                blockMajorValues(weights, from: lowPair, to: highPair, topPair: topPair, chunks: chunks)
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
                    sweep(&acc, weights, c0: c0, from: lowPair, to: commonLow - 1, topPair: topPair, masked: true)
                    sweep(&acc, weights, c0: c0, from: commonLow, to: commonHigh, topPair: topPair, masked: false)
                    sweep(&acc, weights, c0: c0, from: commonHigh + 1, to: highPair, topPair: topPair, masked: true)
                } else {
                    sweep(&acc, weights, c0: c0, from: lowPair, to: highPair, topPair: topPair, masked: true)
                }
                for r in 0..<R {
                    for c in 0..<C { VectorMath.store(acc[r][c], rows.out[r] + (c0 + c) * 16) }
                }
            }
        }

        /// 16 dimensions of the pair of positions (2P, 2P+1), interleaved; the odd position's
        /// half zeroed for the tile's top pair when its odd slot was never written.
        @inline(__always)
        func pairOfValues(_ at: UnsafeRawPointer, pair: Int, topPair: Int) -> SIMD16<UInt32> {
            let v = at.loadUnaligned(as: SIMD16<UInt32>.self)
            return pair == topPair ? v & SIMD16<UInt32>(repeating: 0xFFFF) : v
        }

        /// The weighted sum of a tile's only pass whose rows share one range (the query heads of
        /// a decode token), block by block, every chunk of a block before the next block (see
        /// `PagedAttention`'s): the sums wait in `out` between blocks, stored and loaded back
        /// exactly, so each is the same chain as in `sweep`.
        @inline(__always)
        func blockMajorValues<let C: Int>(_ weights: InlineArray<R, UnsafePointer<UInt32>>, from lowPair: Int, to highPair: Int,
                                          topPair: Int, chunks: InlineArray<C, Int>) {
            let layout = tile.layout, table = tile.blockTable, pairsPerBlock = layout.blockSize / 2
            let chunkBytes = layout.valueChunkStride * 2
            var pair = lowPair
            while pair <= highPair {
                let end = min(highPair, (pair / pairsPerBlock + 1) * pairsPerBlock - 1)
                let values = UnsafeRawPointer(layout.value(table, 2 * pair))
                let next = end < highPair ? UnsafeRawPointer(layout.value(table, 2 * (end + 1))) : values
                for c0 in stride(from: 0, to: tile.headDim / 16, by: C) {
                    var sums = InlineArray<R, InlineArray<C, SIMD16<Float>>>(repeating: .init(repeating: SIMD16<Float>()))
                    if pair != lowPair {
                        for r in 0..<R {
                            for c in 0..<C { sums[r][c] = VectorMath.load(rows.out[r] + (c0 + c) * 16) }
                        }
                    }
                    for q in pair...end {
                        let at = (q - pair) * 64
                        for c in 0..<C { LevelPrefetch.toL2(next + (c0 + c) * chunkBytes + at) }
                        var v = InlineArray<C, SIMD16<UInt32>>(repeating: SIMD16<UInt32>())
                        for c in 0..<C { v[c] = pairOfValues(values + (c0 + c) * chunkBytes + at, pair: q, topPair: topPair) }
                        for r in 0..<R {
                            let w = weights[r][q]
                            for c in 0..<C { sums[r][c] = PairProduct.accumulate(sums[r][c], broadcast: w, v[c]) }
                        }
                    }
                    for r in 0..<R {
                        for c in 0..<C { VectorMath.store(sums[r][c], rows.out[r] + (c0 + c) * 16) }
                    }
                }
                pair = end + 1
            }
        }

        /// Adds pairs `from...to` (none when `to < from`) to the sums of chunks `c0..<c0+C`, in
        /// order; `masked` checks each row's range.
        @inline(__always)
        func sweep<let C: Int>(_ acc: inout InlineArray<R, InlineArray<C, SIMD16<Float>>>,
                               _ weights: InlineArray<R, UnsafePointer<UInt32>>, c0: Int,
                               from: Int, to: Int, topPair: Int, masked: Bool) {
            guard from <= to else { return }
            let layout = tile.layout, table = tile.blockTable, pairsPerBlock = layout.blockSize / 2
            let chunkBytes = layout.valueChunkStride * 2
            let chunkBase = UnsafeRawPointer(layout.base) + layout.valueOffset * 2 + c0 * chunkBytes
            let blockBytes = layout.elementsPerBlock * 2
            var sums = acc
            var block = from / pairsPerBlock, offset = from - block * pairsPerBlock
            var value = chunkBase + Int(table[block]) * blockBytes + offset * 64
            var pair = from
            while true {
                var v = InlineArray<C, SIMD16<UInt32>>(repeating: SIMD16<UInt32>())
                for c in 0..<C { v[c] = pairOfValues(value + c * chunkBytes, pair: pair, topPair: topPair) }
                for r in 0..<R {
                    let w = weights[r][pair]
                    if masked {
                        let inRange = 2 * pair + 1 >= rows.first[r] && 2 * pair <= rows.last[r]
                        for c in 0..<C {
                            sums[r][c] = inRange ? PairProduct.accumulate(sums[r][c], broadcast: w, v[c]) : sums[r][c]
                        }
                    } else {
                        for c in 0..<C { sums[r][c] = PairProduct.accumulate(sums[r][c], broadcast: w, v[c]) }
                    }
                }
                guard pair < to else { break }
                pair += 1
                offset += 1
                if offset == pairsPerBlock {
                    block += 1
                    offset = 0
                    value = chunkBase + Int(table[block]) * blockBytes
                } else {
                    value += 64
                }
            }
            acc = sums
        }
    }
}

/// f32 → bf16 for the pair products' operands, as `BFloat16Bits.rounded`.
enum BFloat16Vector {
    /// `count` floats rounded to bf16, stored consecutively at `out` (2 · count bytes).
    @inline(__always)
    static func convert(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        var i = 0
        while i + 16 <= count {
            out.storeBytes(of: PairProduct.rounded(VectorMath.load(x + i)), toByteOffset: 2 * i, as: SIMD16<UInt16>.self)
            i += 16
        }
        while i < count { out.storeBytes(of: BFloat16Bits.rounded(x[i]), toByteOffset: 2 * i, as: UInt16.self); i += 1 }
    }
}
