/// The activation memory a forward pass works in, owned by one model and reused across calls.
///
/// Sized for the largest batch seen so far, or reserved up front for the largest batch to come
/// (the engine reserves its token budget and sequence count at start, so its steps never
/// reallocate); growing reallocates. A capacity grows to at least twice what it was: sequences
/// join a batch a few at a time, and every reallocation's pages fault again as they are first
/// written (sampled rows growing one at a time to 32 had the 1 MiB logit rows of Gemma 3
/// written into 528 MiB of new pages instead of 63).
final class ForwardBuffers {
    private(set) var tokenCapacity = 0
    private(set) var rowCapacity = 0

    // [tokens][width] activations.
    private(set) var residual = Buffer()       // x: [T][embedding]
    private(set) var normed = Buffer()         // h: [T][embedding]
    private(set) var qkv = Buffer()            // [T][query + key + value]
    private(set) var attention = Buffer()      // [T][query]
    private(set) var projected = Buffer()      // [T][embedding]
    private(set) var gateUp = Buffer()         // [T][2 × feedForward]
    private(set) var activated = Buffer()      // [T][feedForward]
    // [T][rope dims / 2] angle tables for full and sliding-window layers.
    private(set) var cosines = Buffer()
    private(set) var sines = Buffer()
    private(set) var localCosines = Buffer()
    private(set) var localSines = Buffer()
    // [rows][embedding] and [rows][vocabulary] for the positions that are sampled.
    private(set) var selected = Buffer()
    private(set) var logits = Buffer()

    struct Buffer {
        private(set) var pointer: UnsafeMutablePointer<Float>?
        private(set) var count = 0

        var base: UnsafeMutablePointer<Float> { pointer.unsafelyUnwrapped }

        mutating func ensure(_ needed: Int) {
            guard needed > count else { return }
            pointer?.deallocate()
            pointer = .allocate(capacity: needed)
            count = needed
        }

        func free() { pointer?.deallocate() }
    }

    deinit {
        for buffer in [residual, normed, qkv, attention, projected, gateUp, activated, cosines, sines,
                       localCosines, localSines, selected, logits] { buffer.free() }
    }

    /// Grows the buffers to hold a batch of `tokens` tokens with `rows` logit rows (see the
    /// type's note on growth). A caller that knows its largest batch reserves it first, and
    /// batches within it never reallocate.
    func reserve(tokens: Int, rows: Int, configuration c: ModelConfiguration) {
        if tokens > tokenCapacity {
            let t = max(tokens, 16, 2 * tokenCapacity)
            let floats = Self.tokenFloats(c)
            residual.ensure(t * floats.embedding)
            normed.ensure(t * floats.embedding)
            qkv.ensure(t * floats.qkv)
            attention.ensure(t * floats.query)
            projected.ensure(t * floats.embedding)
            gateUp.ensure(t * 2 * floats.feedForward)
            activated.ensure(t * floats.feedForward)
            cosines.ensure(t * floats.rope)
            sines.ensure(t * floats.rope)
            if floats.localRope > 0 {
                localCosines.ensure(t * floats.localRope)
                localSines.ensure(t * floats.localRope)
            }
            tokenCapacity = t
        }
        let rows = max(rows, 1)
        if rows > rowCapacity {
            let r = max(rows, 2 * rowCapacity)
            selected.ensure(r * c.embeddingLength)
            logits.ensure(r * c.vocabularySize)
            rowCapacity = r
        }
    }

    /// Bytes the buffers take after `reserve(tokens:rows:configuration:)` on empty buffers:
    /// 4 bytes a float, `tokens` × (3 × embedding + query + key + value + query + 3 × feed-forward
    /// + rotary tables) + `rows` × (embedding + vocabulary).
    static func bytes(tokens: Int, rows: Int, configuration c: ModelConfiguration) -> Int {
        let f = tokenFloats(c), t = max(tokens, 16), r = max(rows, 1)
        let perToken = 3 * f.embedding + f.qkv + f.query + 3 * f.feedForward + 2 * f.rope + 2 * f.localRope
        return 4 * (t * perToken + r * (c.embeddingLength + c.vocabularySize))
    }

    /// Floats per token of each kind of buffer.
    private static func tokenFloats(_ c: ModelConfiguration)
        -> (embedding: Int, qkv: Int, query: Int, feedForward: Int, rope: Int, localRope: Int) {
        (c.embeddingLength, c.queryDim + c.keyDim + c.valueDim, c.queryDim, c.feedForwardLength,
         c.rope.dimensions / 2, (c.localRope?.dimensions ?? 0) / 2)
    }
}
