/// The activation memory a forward pass works in, owned by one model and reused across calls.
///
/// Sized for the largest batch seen so far; growing reallocates (rare: the engine's token
/// budget caps batch sizes), so steady-state steps allocate nothing. A capacity grows to at
/// least twice what it was: sequences join a batch a few at a time, and every reallocation's
/// pages fault again as they are first written (sampled rows growing one at a time to 32 had
/// the 1 MiB logit rows of Gemma 3 written into 528 MiB of new pages instead of 63).
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

    func reserve(tokens: Int, rows: Int, configuration c: ModelConfiguration) {
        if tokens > tokenCapacity {
            let t = max(tokens, 16, 2 * tokenCapacity)
            residual.ensure(t * c.embeddingLength)
            normed.ensure(t * c.embeddingLength)
            qkv.ensure(t * (c.queryDim + c.keyDim + c.valueDim))
            attention.ensure(t * c.queryDim)
            projected.ensure(t * c.embeddingLength)
            gateUp.ensure(t * 2 * c.feedForwardLength)
            activated.ensure(t * c.feedForwardLength)
            cosines.ensure(t * c.rope.dimensions / 2)
            sines.ensure(t * c.rope.dimensions / 2)
            if let local = c.localRope {
                localCosines.ensure(t * local.dimensions / 2)
                localSines.ensure(t * local.dimensions / 2)
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
}
