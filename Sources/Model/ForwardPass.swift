import Foundation
import KVCache
import Kernels

/// One forward pass in progress: the batch, its buffers and the operations the architecture
/// files compose (embedding, norms, projections, attention, logits).
///
/// Every operation works row by row or (token, head) by (token, head), split over the worker
/// pool; nothing a token computes depends on which other tokens share the batch.
struct ForwardPass {
    let configuration: ModelConfiguration
    let buffers: ForwardBuffers
    let cache: KVBlockStorage
    let pool: WorkerPool
    let tokenCount: Int
    let tokens: [Int32]
    let positions: [Int32]
    let sequenceOfToken: [Int32]
    let logitTokens: [Int32]
    /// Block tables of all sequences, flattened: table of (sequence s, group g) starts at
    /// `tableStarts[s * groupCount + g]`.
    let tables: [Int32]
    let tableStarts: [Int]
    let groupCount: Int
    /// Largest position in the batch (bounds attention scratch).
    let maxPosition: Int
    /// Seconds spent in attention so far.
    var attentionSeconds: Double = 0
    /// Where the layer outputs go when someone is comparing layers; nil otherwise.
    let tap: LayerTap?

    init(batch: ForwardBatch, configuration: ModelConfiguration, buffers: ForwardBuffers, cache: KVBlockStorage,
         pool: WorkerPool, tap: LayerTap? = nil) throws {
        let layout = cache.layout
        groupCount = layout.groups.count
        var tables: [Int32] = []
        var starts: [Int] = []
        for sequence in batch.sequences {
            guard sequence.blockTables.count == groupCount else {
                throw ModelError.invalidForwardBatch("a sequence has \(sequence.blockTables.count) block tables; the KV layout has \(groupCount) groups")
            }
            for table in sequence.blockTables {
                starts.append(tables.count)
                tables.append(contentsOf: table)
            }
        }
        // Every token's own slot must exist, in every group.
        var maxPosition = 0
        for t in 0..<batch.tokenCount {
            let s = Int(batch.sequenceOfToken[t]), p = Int(batch.positions[t])
            guard s >= 0, s < batch.sequences.count, p >= 0 else {
                throw ModelError.invalidForwardBatch("token \(t) has sequence \(s) and position \(p)")
            }
            guard p < configuration.contextLength else {
                throw ModelError.positionBeyondContext(position: p, context: configuration.contextLength)
            }
            for table in batch.sequences[s].blockTables {
                let index = p / layout.blockSize
                guard index < table.count, table[index] >= 0, Int(table[index]) < cache.blockCount else {
                    throw ModelError.invalidForwardBatch("sequence \(s) has no KV block for position \(p)")
                }
            }
            maxPosition = max(maxPosition, p)
        }
        for r in batch.logitTokens where r < 0 || Int(r) >= batch.tokenCount {
            throw ModelError.invalidForwardBatch("logit row for token \(r) outside the batch of \(batch.tokenCount)")
        }
        self.configuration = configuration
        self.buffers = buffers
        self.cache = cache
        self.pool = pool
        tokenCount = batch.tokenCount
        tokens = batch.tokens
        positions = batch.positions
        sequenceOfToken = batch.sequenceOfToken
        logitTokens = batch.logitTokens
        self.tables = tables
        tableStarts = starts
        self.maxPosition = maxPosition
        self.tap = tap
        buffers.reserve(tokens: tokenCount, rows: batch.logitTokens.count, configuration: configuration)
        prepareRotaryTables()
    }

    // MARK: Buffers the architectures name

    var x: UnsafeMutablePointer<Float> { buffers.residual.base }
    var h: UnsafeMutablePointer<Float> { buffers.normed.base }
    var qkv: UnsafeMutablePointer<Float> { buffers.qkv.base }
    var attentionOutput: UnsafeMutablePointer<Float> { buffers.attention.base }
    var projected: UnsafeMutablePointer<Float> { buffers.projected.base }
    var gateUp: UnsafeMutablePointer<Float> { buffers.gateUp.base }
    var activated: UnsafeMutablePointer<Float> { buffers.activated.base }
    var qkvWidth: Int { configuration.queryDim + configuration.keyDim + configuration.valueDim }

    // MARK: Operations

    /// x[t] = embedding row of token t, times `scale`.
    func embed(_ embeddings: PackedMatrix, scale: Float) {
        let dim = configuration.embeddingLength
        let x = self.x, tokens = self.tokens
        pool.parallelRanges(tokenCount) { range in
            for t in range {
                embeddings.row(Int(tokens[t]), into: x + t * dim)
                if scale != 1 { VectorMath.scale(x + t * dim, count: dim, by: scale) }
            }
        }
    }

    /// out = RMSNorm(rows of `input`) · weight, for every token.
    func norm(_ input: UnsafeMutablePointer<Float>, weight: [Float], into out: UnsafeMutablePointer<Float>) {
        weight.withUnsafeBufferPointer { w in
            RMSNorm.rows(input, rows: tokenCount, count: w.count, weight: w.baseAddress!,
                         epsilon: configuration.rmsEpsilon, into: out, pool: pool)
        }
    }

    /// y[t] = W · input[t] for every token.
    func project(_ matrix: PackedMatrix, _ input: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        matrix.multiply(input, rowCount: tokenCount, into: out, pool: pool)
    }

    /// qkv[t] += bias (Qwen2's Q/K/V biases, stacked like the projection).
    func addBias(_ bias: [Float]) {
        let width = qkvWidth, qkv = self.qkv
        bias.withUnsafeBufferPointer { b in
            for t in 0..<tokenCount { VectorMath.add(b.baseAddress!, into: qkv + t * width, count: width) }
        }
    }

    /// Hands the residual stream to the tap, if any, as layer `layer`'s output (`l_out`).
    func layerOutput(_ layer: Int) {
        tap?.record(layer: layer, rows: x, count: tokenCount, width: configuration.embeddingLength)
    }

    /// x += delta, for every token.
    func addResidual(_ delta: UnsafeMutablePointer<Float>) {
        VectorMath.add(delta, into: x, count: tokenCount * configuration.embeddingLength)
    }

    /// Gemma's QK-norm: RMSNorm over each head of the queries and keys in `qkv`.
    func normalizeHeads(queryWeight: [Float], keyWeight: [Float]) {
        let c = configuration, width = qkvWidth, qkv = self.qkv
        queryWeight.withUnsafeBufferPointer { qw in
            keyWeight.withUnsafeBufferPointer { kw in
                let qwp = qw.baseAddress!, kwp = kw.baseAddress!
                pool.parallelRanges(tokenCount) { range in
                    for t in range {
                        let row = qkv + t * width
                        for head in 0..<c.headCount {
                            let v = row + head * c.keyLength
                            RMSNorm.row(v, weight: qwp, count: c.keyLength, epsilon: c.rmsEpsilon, into: v)
                        }
                        for head in 0..<c.kvHeadCount {
                            let v = row + c.queryDim + head * c.keyLength
                            RMSNorm.row(v, weight: kwp, count: c.keyLength, epsilon: c.rmsEpsilon, into: v)
                        }
                    }
                }
            }
        }
    }

    /// Rotates the queries and keys in `qkv` by position, with the layer's RoPE.
    func rotate(local: Bool) {
        let c = configuration, width = qkvWidth, qkv = self.qkv
        let rope = local ? c.localRope! : c.rope
        let half = rope.dimensions / 2
        let cos = local ? buffers.localCosines.base : buffers.cosines.base
        let sin = local ? buffers.localSines.base : buffers.sines.base
        pool.parallelRanges(tokenCount) { range in
            for t in range {
                let row = qkv + t * width
                rope.apply(row, heads: c.headCount, headStride: c.keyLength, cosines: cos + t * half, sines: sin + t * half)
                rope.apply(row + c.queryDim, heads: c.kvHeadCount, headStride: c.keyLength,
                           cosines: cos + t * half, sines: sin + t * half)
            }
        }
    }

    /// Writes every token's key and value into its KV slot, then attends each query over its
    /// sequence's cached positions (within the layer's window), into `attentionOutput`.
    mutating func attention(layer: Int) {
        let start = DispatchTime.now().uptimeNanoseconds
        let c = configuration, width = qkvWidth, qkv = self.qkv, out = attentionOutput
        let cache = self.cache
        let group = cache.layout.locations[layer].group
        let window = cache.layout.groups[group].window
        let positions = self.positions, sequenceOfToken = self.sequenceOfToken
        let tableStarts = self.tableStarts, groupCount = self.groupCount
        let maxPositions = maxPosition + 1
        tables.withUnsafeBufferPointer { tables in
            let tableBase = tables.baseAddress!
            func table(_ t: Int) -> UnsafePointer<Int32> {
                tableBase + tableStarts[Int(sequenceOfToken[t]) * groupCount + group]
            }
            // Keys and values first, so tokens of one sequence in this batch see each other.
            pool.parallelRanges(tokenCount) { range in
                for t in range {
                    let row = qkv + t * width
                    cache.store(layer: layer, position: Int(positions[t]), blockTable: table(t),
                                key: row + c.queryDim, value: row + c.queryDim + c.keyDim)
                }
            }
            // Work items are tiles: up to `Self.tileQueries` consecutive tokens of one sequence
            // for one KV head, so a prefill chunk reads its sequence's keys and values once
            // per tile instead of once per token (a decode token is a tile of one). A token's
            // result does not depend on its tile (see `AttentionTile`).
            var tiles: [(start: Int, count: Int)] = []
            var t = 0
            while t < tokenCount {
                var end = t + 1
                while end < tokenCount, end - t < Self.tileQueries, sequenceOfToken[end] == sequenceOfToken[t],
                      positions[end] == positions[end - 1] + 1 { end += 1 }
                tiles.append((t, end - t))
                t = end
            }
            // Tiles claimed one at a time, the costliest first (longest-processing-time-first):
            // a prefill tile of a long prompt costs as much as hundreds of decode tiles, and
            // equal runs of tiles claimed in token order could leave one core finishing a run of
            // prefill tiles while the other waited at the end of the layer.
            let order = Self.costliestFirst(tiles, positions: positions, window: window)
            let items = tiles.count * c.kvHeadCount
            let perPart = max(1, (items + WorkerPool.maxParts - 1) / WorkerPool.maxParts)
            order.withUnsafeBufferPointer { order in
                tiles.withUnsafeBufferPointer { tiles in
                    pool.parallelFor((items + perPart - 1) / perPart) { part in
                        let scratch = ThreadScratch.buffer(bytes: AttentionTile.scoreFloats(
                            queryCount: Self.tileQueries, groupHeads: c.groupSize, lastPosition: maxPositions - 1)
                            * MemoryLayout<Float>.size).assumingMemoryBound(to: Float.self)
                        for claim in part * perPart..<min(items, (part + 1) * perPart) {
                            let tile = Int(order[claim / c.kvHeadCount]), kvHead = claim % c.kvHeadCount
                            let (start, count) = tiles[tile]
                            let view = cache.attentionView(layer: layer, kvHead: kvHead, keyLength: c.keyLength,
                                                           valueLength: c.valueLength)
                            let queryHead = kvHead * c.groupSize
                            PagedAttention.attend(AttentionTile(
                                queries: qkv + start * width + queryHead * c.keyLength, queryStride: width,
                                queryCount: count, groupHeads: c.groupSize, headDim: c.keyLength, layout: view,
                                blockTable: table(start), position: Int(positions[start]), window: window,
                                scale: c.attentionScale, scores: scratch,
                                out: out + start * c.queryDim + queryHead * c.valueLength, outStride: c.queryDim))
                        }
                    }
                }
            }
        }
        attentionSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Indices of `tiles` by falling cost, ties in token order: a tile's cost is the
    /// (query, position) pairs it scores, each query attending to the positions up to its own
    /// within the window.
    static func costliestFirst(_ tiles: [(start: Int, count: Int)], positions: [Int32], window: Int?) -> [Int32] {
        let costs = tiles.map { tile -> Int in
            let first = Int(positions[tile.start])
            return (0..<tile.count).reduce(0) { sum, i in sum + min(first + i + 1, window ?? Int.max) }
        }
        return (0..<Int32(tiles.count)).sorted { (a: Int32, b: Int32) -> Bool in
            let ca = costs[Int(a)], cb = costs[Int(b)]
            return ca != cb ? ca > cb : a < b
        }
    }

    /// Most query tokens in one attention tile.
    static let tileQueries = 16

    /// The gated feed-forward's middle: activated = act(gate) ⊙ up, from `gateUp` rows
    /// holding [gate | up].
    func gatedActivation(gelu: Bool) {
        let ff = configuration.feedForwardLength, gateUp = self.gateUp, activated = self.activated
        pool.parallelRanges(tokenCount) { range in
            for t in range {
                let row = gateUp + t * 2 * ff
                if gelu {
                    VectorMath.geluGated(gate: row, up: row + ff, count: ff, into: activated + t * ff)
                } else {
                    VectorMath.siluGated(gate: row, up: row + ff, count: ff, into: activated + t * ff)
                }
            }
        }
    }

    /// Final norm and vocabulary projection for the sampled tokens only.
    func logits(norm weight: [Float], output: PackedMatrix) -> Logits {
        let c = configuration, rows = logitTokens.count
        let selected = buffers.selected.base, logits = buffers.logits.base
        for (r, t) in logitTokens.enumerated() {
            (selected + r * c.embeddingLength).update(from: x + Int(t) * c.embeddingLength, count: c.embeddingLength)
        }
        weight.withUnsafeBufferPointer { w in
            RMSNorm.rows(selected, rows: rows, count: c.embeddingLength, weight: w.baseAddress!,
                         epsilon: c.rmsEpsilon, into: selected, pool: pool)
        }
        output.multiply(selected, rowCount: rows, into: logits, pool: pool)
        if let cap = c.finalLogitSoftcap {
            let count = rows * c.vocabularySize
            pool.parallelRanges(count, granularity: 4096) { range in
                VectorMath.softCap(logits + range.lowerBound, count: range.count, cap: cap)
            }
        }
        return Logits(base: logits, rowCount: rows, vocabularySize: c.vocabularySize)
    }

    private func prepareRotaryTables() {
        let c = configuration
        positions.withUnsafeBufferPointer { p in
            c.rope.table(positions: p, cosines: buffers.cosines.base, sines: buffers.sines.base)
            if let local = c.localRope {
                local.table(positions: p, cosines: buffers.localCosines.base, sines: buffers.localSines.base)
            }
        }
    }
}
