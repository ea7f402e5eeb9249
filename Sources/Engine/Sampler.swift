import Foundation
import Kernels
import StructuredOutput

/// Chooses one sequence's next token from its row of logits.
///
/// A value per sequence: its parameters, its random stream and the token counts its penalties
/// need, plus reusable scratch space. `sample` is a pure function of (row, sampler state), so
/// the rows of a step can be sampled in parallel and a sequence's tokens never depend on its
/// neighbours.
///
/// Cost per token over a vocabulary of V: greedy is one vectorized pass (max) plus a scan for
/// its index. Top-k keeps a bounded heap (a pass that mostly compares against the heap's
/// minimum) and sorts the k. Top-p and min-p without top-k first collect only the tokens
/// within a threshold of the maximum (exact for min-p; for top-p the threshold is lowered
/// until the collected mass reaches p), then find the nucleus with a histogram. Pure
/// temperature sampling draws by a running sum over the row without ordering anything. No
/// allocation per token once the scratch has grown.
struct Sampler {
    let parameters: SamplingParameters
    let seed: UInt64
    private(set) var rng: Xoshiro256StarStar
    /// Times each token was generated so far (presence and frequency penalties; also part of
    /// the repetition penalty's set).
    private var generatedCounts: [Int32: Int32] = [:]
    /// Distinct prompt tokens, kept only when the repetition penalty is on (as in llama.cpp and
    /// vLLM, the repetition penalty also covers the prompt; the others cover generated tokens).
    private let promptTokens: Set<Int32>
    /// Scratch, reused from token to token: candidate tokens, and for top-p the mass per
    /// histogram bin and the candidates of one bin.
    private var candidates: [Candidate] = []
    private var binMass: [Double] = []
    private var boundaryBin: [Candidate] = []
    /// One entry per sampled token when `parameters.logprobs` is set.
    private(set) var logprobs: [TokenLogprob] = []
    /// The raw row, copied before the penalties change it (only when recording logprobs).
    private var rawRow: [Float] = []
    /// Logits of the allowed tokens under a sparse mask.
    private var compactRow: [Float] = []
    /// The model's distribution of the row being sampled, until its token is chosen.
    private var pendingDistribution: RowLogprobs?

    struct Candidate {
        var token: Int32
        /// The raw logit while selecting top k; the scaled logit z = (x − max) / T after.
        var value: Float
        /// e^z: the unnormalized probability, once `value` is scaled.
        var weight: Float = 0
    }

    /// Cutoffs tried in turn (scaled-logit units, z = (x − max) / T ≤ 0) when collecting top-p
    /// candidates: each try is one vector scan, and a tight first cutoff keeps the set to order
    /// small when the distribution is peaked, as it usually is.
    private static let topPCutoffs: [Float] = [-2, -4, -8, -16, -32, -.infinity]

    init(parameters: SamplingParameters, seed: UInt64, promptTokens: [Int32]) {
        self.parameters = parameters
        self.seed = seed
        self.rng = Xoshiro256StarStar(seed: seed)
        self.promptTokens = parameters.repetitionPenalty != 1 ? Set(promptTokens) : []
    }

    /// Records a token the sequence generated (for the penalties).
    mutating func accept(_ token: Int32) {
        guard parameters.presencePenalty != 0 || parameters.frequencyPenalty != 0
            || parameters.repetitionPenalty != 1 else { return }
        generatedCounts[token, default: 0] += 1
    }

    /// Picks the next token. Applies the penalties to `logits` in place (the row is the
    /// model's scratch for this step and is not read again).
    ///
    /// `mask` (structured output) sets the logits of disallowed tokens to -infinity first, so
    /// penalties, temperature, top-k/top-p/min-p and greedy all see only allowed tokens; the
    /// recorded log-probabilities stay those of the model's own distribution.
    mutating func sample(_ logits: UnsafeMutableBufferPointer<Float>, mask: TokenMask? = nil) -> Int32 {
        recordDistribution(logits)
        if let mask, let allowed = mask.sparse {
            applyPenalties(logits)
            return recordChoice(chooseAmong(allowed, logits))
        }
        mask?.apply(to: logits)
        applyPenalties(logits)
        return recordChoice(choose(logits))
    }

    /// The choice among a few allowed tokens (a sparse mask, in increasing id order) from a row
    /// whose penalties are applied: their logits are gathered into a short row and chosen from
    /// there, instead of writing -infinity over the whole vocabulary. Ties still go to the lower
    /// id, as on the full row.
    private mutating func chooseAmong(_ allowed: [Int32], _ logits: UnsafeMutableBufferPointer<Float>) -> Int32 {
        guard !allowed.isEmpty else { return choose(logits) }
        // Taken out of self while `choose` (which mutates self) works on it: no copy.
        var row: [Float] = []
        swap(&row, &compactRow)
        defer { swap(&row, &compactRow) }
        row.removeAll(keepingCapacity: true)
        for token in allowed { row.append(logits[Int(token)]) }
        let index = row.withUnsafeMutableBufferPointer { choose($0) }
        return allowed[Int(index)]
    }

    /// Whether `speculate`/`resample` give exactly the masked distribution: greedy, or plain
    /// temperature sampling (the filters top-k, top-p and min-p depend on which tokens are
    /// masked, so those rows always take the mask first).
    var canSpeculate: Bool {
        parameters.isGreedy || (parameters.topK == 0 && parameters.topP >= 1 && parameters.minP <= 0)
    }

    /// Structured output without a mask at hand: draws as if unconstrained and returns the token
    /// if `isAllowed`, else nil, after which `resample` must be called with the state's mask.
    /// Exact: a draw from p accepted when in the allowed set A, else a draw from p restricted
    /// to A, picks token x in A with probability p(x) + (1 − p(A)) p(x)/p(A) = p(x)/p(A), the
    /// masked distribution; greedy's best token, when allowed, is the best allowed one. (The
    /// sample-first order of llama.cpp's grammar sampler.)
    mutating func speculate(_ logits: UnsafeMutableBufferPointer<Float>, isAllowed: (Int32) -> Bool) -> Int32? {
        precondition(canSpeculate)
        recordDistribution(logits)
        applyPenalties(logits)
        let token = choose(logits)
        return isAllowed(token) ? recordChoice(token) : nil
    }

    /// The draw after a refused `speculate`, from the same (penalized) row under `mask`.
    mutating func resample(_ logits: UnsafeMutableBufferPointer<Float>, mask: TokenMask) -> Int32 {
        if let allowed = mask.sparse { return recordChoice(chooseAmong(allowed, logits)) }
        mask.apply(to: logits)
        return recordChoice(choose(logits))
    }

    /// The model's distribution, before anything changes the row (only when recording logprobs).
    private mutating func recordDistribution(_ logits: UnsafeMutableBufferPointer<Float>) {
        guard let count = parameters.logprobs else { return }
        pendingDistribution = RowLogprobs(UnsafeBufferPointer(logits), count: count)
        rawRow.removeAll(keepingCapacity: true)
        rawRow.append(contentsOf: logits)
    }

    private mutating func recordChoice(_ token: Int32) -> Int32 {
        if let distribution = pendingDistribution {
            logprobs.append(TokenLogprob(token: token, logprob: rawRow[Int(token)] - distribution.logNormalizer,
                                         top: distribution.top))
            pendingDistribution = nil
        }
        return token
    }

    /// The choice from a row whose penalties are applied.
    private mutating func choose(_ logits: UnsafeMutableBufferPointer<Float>) -> Int32 {
        precondition(!logits.isEmpty)
        let row = UnsafeBufferPointer(logits)
        if parameters.isGreedy { return Int32(LogitMath.argmax(row)) }

        let maximum = LogitMath.max(row)
        let inverseTemperature = 1 / parameters.temperature
        let topK = parameters.topK > 0 && parameters.topK < row.count ? parameters.topK : 0
        let topP = parameters.topP, minP = parameters.minP

        if topK == 0, topP >= 1, minP <= 0 {
            // Plain temperature: draw straight from the whole row.
            let total = LogitMath.sumExp(row, maximum: maximum, scale: inverseTemperature)
            let target = rng.nextUnitDouble() * total
            return Int32(LogitMath.drawIndex(row, maximum: maximum, scale: inverseTemperature, target: target))
        }

        // min-p keeps p ≥ minP · p_max, i.e. z ≥ ln(minP): an exact threshold on z.
        let minPCutoff: Float = minP > 0 ? log(minP) : -.infinity
        var kept: Int
        if topK > 0 {
            selectTopK(row, k: topK)
            Self.sortBestFirst(&candidates)
            scale(maximum: maximum, inverseTemperature: inverseTemperature)
            // top-p over the renormalized top k, then min-p; both keep a best-first prefix.
            kept = topP < 1 ? nucleusLength(mass: Double(topP) * weightSum()) : candidates.count
            kept = candidates.prefix(kept).count { $0.value >= minPCutoff }
        } else {
            // Collect the tokens within `cutoff` of the best. With min-p the cutoff is min-p's
            // and the collection is final: if its mass is short of p, the nucleus is larger
            // than the min-p set and min-p decides. Without, the cutoff drops until the
            // collected mass reaches p (every token beyond it is less likely than every
            // collected one, so the nucleus lies within).
            let total = topP < 1 ? LogitMath.sumExp(row, maximum: maximum, scale: inverseTemperature) : 0
            var attempt = 0
            while true {
                let cutoff = minP > 0 ? minPCutoff : Self.topPCutoffs[attempt]
                collect(row, maximum: maximum, inverseTemperature: inverseTemperature, cutoff: cutoff)
                if topP >= 1 || minP > 0 || cutoff == -.infinity || weightSum() >= Double(topP) * total { break }
                attempt += 1
            }
            // min-p alone draws among all collected tokens, in id order; no sorting needed.
            kept = topP < 1 ? takeNucleus(mass: Double(topP) * total) : candidates.count
        }
        // Only a row of -infinity or NaN leaves nothing; fall back to greedy's answer.
        guard !candidates.isEmpty else { return Int32(LogitMath.argmax(row)) }
        return draw(from: Swift.max(kept, 1))
    }

    // MARK: Penalties

    private func applyPenalties(_ logits: UnsafeMutableBufferPointer<Float>) {
        let p = parameters
        let vocabulary = Int32(logits.count)
        if p.repetitionPenalty != 1 {
            func penalize(_ token: Int32) {
                guard token >= 0, token < vocabulary else { return }
                let x = logits[Int(token)]
                logits[Int(token)] = x > 0 ? x / p.repetitionPenalty : x * p.repetitionPenalty
            }
            for token in promptTokens { penalize(token) }
            for token in generatedCounts.keys where !promptTokens.contains(token) { penalize(token) }
        }
        if p.presencePenalty != 0 || p.frequencyPenalty != 0 {
            for (token, count) in generatedCounts where token >= 0 && token < vocabulary {
                logits[Int(token)] -= p.presencePenalty + p.frequencyPenalty * Float(count)
            }
        }
    }

    // MARK: Candidates

    /// The k largest logits (ties: lower token id) into `candidates`, as a heap with the worst
    /// at the root.
    private mutating func selectTopK(_ row: UnsafeBufferPointer<Float>, k: Int) {
        candidates.removeAll(keepingCapacity: true)
        let n = row.count, base = row.baseAddress!
        var threshold = -Float.infinity
        func offer(_ i: Int) {
            let x = base[i]
            if candidates.count < k {
                guard x > -.infinity else { return }
                candidates.append(Candidate(token: Int32(i), value: x))
                Self.siftUp(&candidates, candidates.count - 1, by: Self.worse)
                if candidates.count == k { threshold = candidates[0].value }
            } else if x > threshold {
                // Later tokens have higher ids, so an equal logit never displaces the root.
                candidates[0] = Candidate(token: Int32(i), value: x)
                Self.siftDown(&candidates, 0, count: k, by: Self.worse)
                threshold = candidates[0].value
            }
        }
        // Until the heap is full every token is offered; after that only blocks of 16 holding a
        // value above the root can change it (the rest of such a block is offered too, and
        // `offer` turns those away itself).
        var i = 0
        while i < n {
            if candidates.count == k {
                let block = LogitMath.nextBlock(row, from: i, above: threshold)
                if block >= n { break }
                if block > i { i = block; continue }
                for j in i..<Swift.min(i + 16, n) { offer(j) }
                i += 16
            } else {
                offer(i)
                i += 1
            }
        }
    }

    /// Every token with z = (x − maximum) · inverseTemperature ≥ cutoff into `candidates`
    /// (in id order), with `value` scaled and `weight` set.
    private mutating func collect(_ row: UnsafeBufferPointer<Float>, maximum: Float, inverseTemperature: Float,
                                  cutoff: Float) {
        candidates.removeAll(keepingCapacity: true)
        let n = row.count, base = row.baseAddress!
        var i = 0
        while i < n {
            // Skip whole blocks of 16 with nothing within the cutoff; the tail goes one by one.
            let block = LogitMath.nextBlock(row, from: i, maximum: maximum, scale: inverseTemperature, atLeast: cutoff)
            let end = block + 16 <= n ? block + 16 : n
            for j in block..<end {
                let z = (base[j] - maximum) * inverseTemperature
                if z >= cutoff { candidates.append(Candidate(token: Int32(j), value: z, weight: LogitMath.exp(z))) }
            }
            i = end
        }
    }

    /// Raw logits of the candidates → z = (x − maximum) · inverseTemperature, and weights.
    private mutating func scale(maximum: Float, inverseTemperature: Float) {
        for i in candidates.indices {
            let z = (candidates[i].value - maximum) * inverseTemperature
            candidates[i].value = z
            candidates[i].weight = LogitMath.exp(z)
        }
    }

    private func weightSum() -> Double {
        candidates.reduce(0.0) { $0 + Double($1.weight) }
    }

    /// The fewest best-first candidates whose weights reach `mass` (all when they never do).
    private func nucleusLength(mass: Double) -> Int {
        var running = 0.0
        for (i, candidate) in candidates.enumerated() {
            running += Double(candidate.weight)
            if running >= mass { return i + 1 }
        }
        return candidates.count
    }

    /// Keeps the fewest best candidates whose weights reach `mass` at the front of
    /// `candidates` and returns their count. Not a sort: a histogram of the weights by z
    /// (1/32-nat bins) finds the bin where the mass is reached; the better bins are kept
    /// whole and only that one bin is ordered. O(n) plus a sort of one bin.
    private mutating func takeNucleus(mass: Double) -> Int {
        guard candidates.count > 1 else { return candidates.count }
        if binMass.isEmpty { binMass = Array(repeating: 0, count: Self.binCount) }
        for b in binMass.indices { binMass[b] = 0 }
        for candidate in candidates { binMass[Self.bin(candidate.value)] += Double(candidate.weight) }
        var running = 0.0
        var boundary = Self.binCount - 1
        for b in binMass.indices {
            if running + binMass[b] >= mass { boundary = b; break }
            running += binMass[b]
        }
        // Better bins stay in id order; the boundary bin is ordered and cut where the mass is
        // reached (ties: lower id first, as everywhere).
        boundaryBin.removeAll(keepingCapacity: true)
        var kept = 0
        for i in candidates.indices {
            let b = Self.bin(candidates[i].value)
            if b < boundary {
                candidates[kept] = candidates[i]
                kept += 1
            } else if b == boundary {
                boundaryBin.append(candidates[i])
            }
        }
        // Already in order when its values tie (they arrived in id order).
        if !zip(boundaryBin, boundaryBin.dropFirst()).allSatisfy({ !Self.worse($0, $1) }) {
            Self.sortBestFirst(&boundaryBin)
        }
        for candidate in boundaryBin {
            candidates[kept] = candidate
            kept += 1
            running += Double(candidate.weight)
            if running >= mass { break }
        }
        candidates.removeLast(candidates.count - kept)
        return kept
    }

    /// Histogram bins for `takeNucleus`: 32 per nat of z over [−32, 0], then one for the rest.
    private static let binsPerNat: Float = 32
    private static let binCount = 32 * 32 + 1

    @inline(__always)
    private static func bin(_ z: Float) -> Int {
        guard z > -32 else { return binCount - 1 } // also -infinity and NaN
        return Swift.min(binCount - 2, Int(-z * binsPerNat))
    }

    /// One draw among the first `count` candidates, by weight.
    private mutating func draw(from count: Int) -> Int32 {
        var total = 0.0
        for i in 0..<count { total += Double(candidates[i].weight) }
        let target = rng.nextUnitDouble() * total
        var running = 0.0
        for i in 0..<count {
            running += Double(candidates[i].weight)
            if running > target { return candidates[i].token }
        }
        return candidates[count - 1].token
    }

    // MARK: Heaps

    /// Order for a heap with the worst candidate at the root: lower value, then higher id.
    @inline(__always)
    private static func worse(_ a: Candidate, _ b: Candidate) -> Bool {
        a.value < b.value || (a.value == b.value && a.token > b.token)
    }

    /// Moves `heap[start]` up while it comes before its parent in `order`.
    @inline(__always)
    private static func siftUp(_ heap: inout [Candidate], _ start: Int, by order: (Candidate, Candidate) -> Bool) {
        heap.withUnsafeMutableBufferPointer { heap in
            var child = start
            while child > 0 {
                let parent = (child - 1) / 2
                guard order(heap[child], heap[parent]) else { return }
                heap.swapAt(child, parent)
                child = parent
            }
        }
    }

    /// Moves `heap[start]` down within `heap[0..<count]` until no child comes before it.
    @inline(__always)
    private static func siftDown(_ heap: inout [Candidate], _ start: Int, count: Int,
                                 by order: (Candidate, Candidate) -> Bool) {
        heap.withUnsafeMutableBufferPointer { heap in
            var parent = start
            while true {
                let left = 2 * parent + 1, right = left + 1
                var first = parent
                if left < count, order(heap[left], heap[first]) { first = left }
                if right < count, order(heap[right], heap[first]) { first = right }
                if first == parent { return }
                heap.swapAt(parent, first)
                parent = first
            }
        }
    }

    /// Heap sort in place, best candidate first; no allocation (unlike the standard library's
    /// sort). Used on the top k and on one histogram bin, both small.
    private static func sortBestFirst(_ array: inout [Candidate]) {
        let n = array.count
        guard n > 1 else { return }
        for i in stride(from: n / 2 - 1, through: 0, by: -1) { siftDown(&array, i, count: n, by: worse) }
        for end in stride(from: n - 1, to: 0, by: -1) {
            array.swapAt(0, end)
            siftDown(&array, 0, count: end, by: worse)
        }
    }
}
