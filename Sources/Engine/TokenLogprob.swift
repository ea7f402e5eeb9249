import Foundation
import Kernels

/// The log-probability of one generated token and of the most likely alternatives at its
/// position, as OpenAI reports them (`logprobs`, `top_logprobs`).
///
/// Natural logarithms of the model's distribution before sampling changes it: softmax of the
/// raw logits, without penalties, temperature, top-k/top-p/min-p (OpenAI defines them so; vLLM
/// does the same by default). Computed from the row alone, so batch-invariant like the tokens.
public struct TokenLogprob: Sendable, Equatable {
    public var token: Int32
    public var logprob: Float
    /// The `count` most likely tokens at this position, most likely first (ties: lower id).
    public var top: [Alternative]

    public struct Alternative: Sendable, Equatable {
        public var token: Int32
        public var logprob: Float

        public init(token: Int32, logprob: Float) {
            self.token = token
            self.logprob = logprob
        }
    }

    public init(token: Int32, logprob: Float, top: [Alternative]) {
        self.token = token
        self.logprob = logprob
        self.top = top
    }
}

/// The raw row's log-normalizer and its best `count` entries, taken before penalties change it.
struct RowLogprobs {
    /// log Σ exp(x): a token's log-probability is its raw logit minus this.
    let logNormalizer: Float
    let top: [TokenLogprob.Alternative]

    init(_ row: UnsafeBufferPointer<Float>, count: Int) {
        let maximum = LogitMath.max(row)
        logNormalizer = maximum + Float(Foundation.log(LogitMath.sumExp(row, maximum: maximum, scale: 1)))
        // A short sorted list (count ≤ 20): one pass, an insertion when a value beats the last.
        var best: [TokenLogprob.Alternative] = []
        best.reserveCapacity(count + 1)
        if count > 0 {
            for index in 0..<row.count {
                let value = row[index]
                if best.count == count, value <= best[count - 1].logprob { continue }
                var position = best.count
                while position > 0, best[position - 1].logprob < value { position -= 1 }
                best.insert(TokenLogprob.Alternative(token: Int32(index), logprob: value), at: position)
                if best.count > count { best.removeLast() }
            }
        }
        let normalizer = logNormalizer
        top = best.map { TokenLogprob.Alternative(token: $0.token, logprob: $0.logprob - normalizer) }
    }
}
