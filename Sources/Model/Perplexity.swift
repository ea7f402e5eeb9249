import Foundation
import KVCache
import Kernels
import Tokenizer

/// Perplexity of a model over a token stream, the way llama.cpp's `llama-perplexity` computes
/// it, so the two numbers can be compared directly.
///
/// The text is tokenized with the vocabulary's special tokens (BOS first when the model adds
/// one) and cut into non-overlapping windows of `context` tokens; each window starts from an
/// empty cache, and only the second half of the window is scored (each position predicts the
/// next token), so every scored token has at least `context / 2` tokens of history. A window's
/// first token is replaced by BOS only when the model adds BOS (`tokenizer.ggml.add_bos_token`),
/// as llama-perplexity does: forcing BOS onto a model trained without it (Qwen2.5) made its
/// perplexity of GPL-3 9.23 instead of 5.31.
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
    public let tokenizer: any Tokenizer
    public let context: Int
    /// What each window's first token becomes: BOS when the model adds BOS, else nil (the
    /// window keeps its own first token).
    public var windowStartToken: Int32? { tokenizer.sequenceStartToken }

    public init(model: any LanguageModel, tokenizer: any Tokenizer, context: Int = 512) {
        self.model = model
        self.tokenizer = tokenizer
        self.context = context
    }

    /// `text` as llama-perplexity tokenizes it: special tokens added where the vocabulary asks,
    /// control-token text left as text.
    public func tokens(of text: String) -> [Int32] {
        tokenizer.encode(text, addSpecial: true, parseSpecial: false)
    }

    public enum Failure: Error, CustomStringConvertible {
        case tooFewTokens(have: Int, need: Int)
        case contextTooLong(requested: Int, model: Int)
        public var description: String {
            switch self {
            case let .tooFewTokens(have, need):
                return "the text has \(have) tokens; perplexity needs at least \(need) (two windows); use a longer text or a smaller window"
            case let .contextTooLong(requested, model):
                return "a window of \(requested) tokens is longer than the model context of \(model) tokens"
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
        let windowStart = windowStartToken
        for w in 0..<windows {
            var window = Array(tokens[w * context..<(w + 1) * context])
            if let windowStart { window[0] = windowStart }
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
                let logits = try model.forward(batch, cache: cache)
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
