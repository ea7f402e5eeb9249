import Foundation
import KVCache
import Kernels

/// Perplexity of a model over a token stream, the way llama.cpp's `llama-perplexity` computes
/// it, so the two numbers can be compared directly.
///
/// The tokens are cut into non-overlapping windows of `context` tokens; each window starts from
/// an empty cache with its first token replaced by BOS, and only the second half of the window
/// is scored (each position predicts the next token), so every scored token has at least
/// `context / 2` tokens of history.
public struct Perplexity {
    public struct Result: Sendable {
        public var perplexity: Double
        public var windows: Int
        public var scoredTokens: Int
        /// Running estimate after each window (what llama.cpp prints as it goes).
        public var perWindow: [Double]
        public var seconds: Double
    }

    public let model: any LanguageModel
    public let context: Int
    public let bos: Int32?

    public init(model: any LanguageModel, context: Int = 512, bos: Int32?) {
        self.model = model
        self.context = context
        self.bos = bos
    }

    public enum Failure: Error, CustomStringConvertible {
        case tooFewTokens(have: Int, need: Int)
        case contextTooLong(requested: Int, model: Int)
        public var description: String {
            switch self {
            case let .tooFewTokens(have, need):
                return "the text has \(have) tokens; perplexity needs at least \(need) (two windows of --ctx); use a longer file or a smaller --ctx"
            case let .contextTooLong(requested, model):
                return "--ctx \(requested) is longer than the model context of \(model) tokens"
            }
        }
    }

    /// - Parameter progress: called after each window with (window, windows, running perplexity).
    public func evaluate(_ tokens: [Int32], progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> Result {
        guard context <= model.contextLength else { throw Failure.contextTooLong(requested: context, model: model.contextLength) }
        let windows = tokens.count / context
        guard tokens.count >= 2 * context, context >= 4 else { throw Failure.tooFewTokens(have: tokens.count, need: 2 * context) }
        let start = Date()
        let layout = model.kvLayout
        let cache = try KVBlockStorage(layout: layout,
                                       blockCount: ForwardBatch.Sequence.blockCount(for: layout, positions: context))
        let sequence = ForwardBatch.Sequence(consecutiveBlocksFor: layout, positions: context)
        let first = context / 2
        // Scored rows go through the vocabulary projection in slices, to bound logit memory.
        let slice = 64
        var negativeLogLikelihood = 0.0
        var scored = 0
        var perWindow: [Double] = []
        for w in 0..<windows {
            var window = Array(tokens[w * context..<(w + 1) * context])
            if let bos { window[0] = bos }
            var prefix = ForwardBatch()
            prefix.append(sequence: sequence, tokens: Array(window[0..<first]), startPosition: 0, wantsLogits: false)
            _ = try model.forward(prefix, cache: cache)
            var position = first
            while position < context {
                let end = min(context, position + slice)
                var batch = ForwardBatch()
                batch.append(sequence: sequence, tokens: Array(window[position..<end]), startPosition: position, wantsLogits: false)
                // Every token but the window's last predicts the one after it.
                let predictors = position..<min(end, context - 1)
                batch.logitTokens = predictors.map { Int32($0 - position) }
                let logits = try model.forward(batch, cache: cache).logits
                for (row, p) in predictors.enumerated() {
                    negativeLogLikelihood -= Self.logProbability(of: window[p + 1], in: logits.row(row))
                    scored += 1
                }
                position = end
            }
            let running = Foundation.exp(negativeLogLikelihood / Double(scored))
            perWindow.append(running)
            progress(w + 1, windows, running)
        }
        return Result(perplexity: perWindow.last!, windows: windows, scoredTokens: scored, perWindow: perWindow,
                      seconds: Date().timeIntervalSince(start))
    }

    /// log softmax(logits)[token], in double precision for the sum.
    static func logProbability(of token: Int32, in logits: UnsafeMutableBufferPointer<Float>) -> Double {
        let peak = VectorMath.maximum(logits.baseAddress!, count: logits.count)
        let total = VectorMath.sumExp(logits.baseAddress!, count: logits.count, maximum: peak)
        return Double(logits[Int(token)] - peak) - Foundation.log(total)
    }
}
