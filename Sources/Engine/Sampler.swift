import Foundation

/// Chooses one sequence's next token from its row of logits.
///
/// A value per sequence: its parameters, its random stream and the token counts its penalties
/// need, plus reusable scratch space. `sample` is a pure function of (row, sampler state), so
/// the rows of a step can be sampled in parallel and a sequence's tokens never depend on its
/// neighbours.
///
/// Cost per token over a vocabulary of V: greedy is one vectorized pass (max) plus a scan for
/// its index. Top-k keeps a bounded heap (a pass that mostly compares against the heap's
/// minimum). Top-p and min-p without top-k first collect only the tokens within a threshold of
/// the maximum (exact for min-p; for top-p the threshold is lowered until the collected mass
/// reaches p) and sort just those. Pure temperature sampling draws by a running sum over the
/// row without sorting anything. No allocation per token once the scratch has grown.
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
    /// Scratch: candidate tokens, reused from token to token.
    private var candidates: [Candidate] = []

    struct Candidate {
        var token: Int32
        /// The raw logit while selecting; the scaled logit z = (x − max) / T after.
        var value: Float
    }

    /// First cutoff (in scaled-logit units, z = (x − max) / T ≤ 0) when collecting top-p
    /// candidates: tokens below e^−12 of the most likely one rarely matter.
    private static let firstTopPCutoff: Float = -12

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
    mutating func sample(_ logits: UnsafeMutableBufferPointer<Float>) -> Int32 {
        precondition(!logits.isEmpty)
        applyPenalties(logits)
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
            sortBestFirst()
            scale(maximum: maximum, inverseTemperature: inverseTemperature)
            // top-p over the renormalized top k.
            kept = topP < 1 ? nucleusLength(mass: Double(topP) * weightSum()) : candidates.count
        } else {
            var cutoff = minP > 0 ? minPCutoff : Self.firstTopPCutoff
            let total = topP < 1 ? LogitMath.sumExp(row, maximum: maximum, scale: inverseTemperature) : 0
            while true {
                collect(row, maximum: maximum, inverseTemperature: inverseTemperature, cutoff: cutoff)
                // With min-p the collection is final: if its mass is short of p, the nucleus
                // is larger than the min-p set and min-p decides.
                if topP >= 1 || minP > 0 || cutoff == -.infinity || weightSum() >= Double(topP) * total { break }
                cutoff = cutoff < -48 ? -.infinity : cutoff * 2
            }
            sortBestFirst()
            kept = topP < 1 ? nucleusLength(mass: Double(topP) * total) : candidates.count
        }
        // Only a row of -infinity or NaN leaves nothing; fall back to greedy's answer.
        guard !candidates.isEmpty else { return Int32(LogitMath.argmax(row)) }
        // min-p: candidates are best first, so the ones that pass form a prefix.
        kept = min(kept, candidates.prefix(kept).count { $0.value >= minPCutoff })
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
                Self.siftUp(&candidates, candidates.count - 1)
                if candidates.count == k { threshold = candidates[0].value }
            } else if x > threshold {
                // Later tokens have higher ids, so an equal logit never displaces the root.
                candidates[0] = Candidate(token: Int32(i), value: x)
                Self.siftDown(&candidates, 0, count: k)
                threshold = candidates[0].value
            }
        }
        var i = 0
        while i + LogitMath.width <= n {
            if any(LogitMath.load(base + i) .> LogitMath.Vector(repeating: threshold)) || candidates.count < k {
                for j in i..<i + LogitMath.width { offer(j) }
            }
            i += LogitMath.width
        }
        while i < n { offer(i); i += 1 }
    }

    /// Every token with z = (x − maximum) · inverseTemperature ≥ cutoff into `candidates`
    /// (unordered), with `value` already scaled.
    private mutating func collect(_ row: UnsafeBufferPointer<Float>, maximum: Float, inverseTemperature: Float,
                                  cutoff: Float) {
        candidates.removeAll(keepingCapacity: true)
        let n = row.count, base = row.baseAddress!
        let m = LogitMath.Vector(repeating: maximum), s = LogitMath.Vector(repeating: inverseTemperature)
        let c = LogitMath.Vector(repeating: cutoff)
        var i = 0
        while i + LogitMath.width <= n {
            let z = (LogitMath.load(base + i) - m) * s
            if any(z .>= c) {
                for lane in 0..<LogitMath.width where z[lane] >= cutoff {
                    candidates.append(Candidate(token: Int32(i + lane), value: z[lane]))
                }
            }
            i += LogitMath.width
        }
        while i < n {
            let z = (base[i] - maximum) * inverseTemperature
            if z >= cutoff { candidates.append(Candidate(token: Int32(i), value: z)) }
            i += 1
        }
    }

    /// Raw logits of the candidates → z = (x − maximum) · inverseTemperature.
    private mutating func scale(maximum: Float, inverseTemperature: Float) {
        for i in candidates.indices {
            candidates[i].value = (candidates[i].value - maximum) * inverseTemperature
        }
    }

    private func weightSum() -> Double {
        candidates.reduce(0.0) { $0 + Double(LogitMath.exp($1.value)) }
    }

    /// The fewest best-first candidates whose weights reach `mass` (all when they never do).
    private func nucleusLength(mass: Double) -> Int {
        var running = 0.0
        for (i, candidate) in candidates.enumerated() {
            running += Double(LogitMath.exp(candidate.value))
            if running >= mass { return i + 1 }
        }
        return candidates.count
    }

    /// One draw among the first `count` candidates, weighted by e^z.
    private mutating func draw(from count: Int) -> Int32 {
        var total = 0.0
        for i in 0..<count { total += Double(LogitMath.exp(candidates[i].value)) }
        let target = rng.nextUnitDouble() * total
        var running = 0.0
        for i in 0..<count {
            running += Double(LogitMath.exp(candidates[i].value))
            if running > target { return candidates[i].token }
        }
        return candidates[count - 1].token
    }

    // MARK: Heap (worst candidate at the root: lowest value, then highest token id)

    @inline(__always)
    private static func worse(_ a: Candidate, _ b: Candidate) -> Bool {
        a.value < b.value || (a.value == b.value && a.token > b.token)
    }

    private static func siftUp(_ heap: inout [Candidate], _ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard worse(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func siftDown(_ heap: inout [Candidate], _ start: Int, count: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var worst = parent
            if left < count, worse(heap[left], heap[worst]) { worst = left }
            if right < count, worse(heap[right], heap[worst]) { worst = right }
            if worst == parent { return }
            heap.swapAt(parent, worst)
            parent = worst
        }
    }

    /// Heap sort in place, best candidate first. Heapifies first, so it also sorts an
    /// unordered collection; no allocation (unlike the standard library's sort).
    private mutating func sortBestFirst() {
        let n = candidates.count
        guard n > 1 else { return }
        for i in stride(from: n / 2 - 1, through: 0, by: -1) { Self.siftDown(&candidates, i, count: n) }
        for end in stride(from: n - 1, to: 0, by: -1) {
            candidates.swapAt(0, end)
            Self.siftDown(&candidates, 0, count: end)
        }
    }
}
