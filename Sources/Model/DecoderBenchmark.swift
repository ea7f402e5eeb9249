import Dispatch
import KVCache

/// One sequence straight through a model, without the engine: the decoder's own speed, as
/// `jobs bench` reports it. A prefill of the whole prompt (best of `prefillRepeats`, each from
/// position 0 of the same cache), then `decodeTokens` greedy steps of one token each.
public struct DecoderBenchmark {
    public struct Result: Sendable {
        public var promptTokens: Int
        /// The fastest prefill of the prompt, seconds.
        public var prefillSeconds: Double
        public var decodeTokens: Int
        /// All decode steps together, seconds.
        public var decodeSeconds: Double
        /// The part of `decodeSeconds` spent in attention (`TransformerModel.attentionSeconds`).
        public var decodeAttentionSeconds: Double
    }

    public let model: TransformerModel

    public init(model: TransformerModel) {
        self.model = model
    }

    /// Fails with the model's errors (a prompt token outside the vocabulary, KV memory that
    /// cannot be reserved).
    public func run(prompt: [Int32], decodeTokens: Int = 128, prefillRepeats: Int = 3) throws -> Result {
        precondition(!prompt.isEmpty && decodeTokens > 0 && prefillRepeats > 0, "nothing to measure")
        let layout = model.kvLayout
        let total = prompt.count + decodeTokens + 1
        let cache = try KVBlockStorage(layout: layout,
                                       blockCount: ForwardBatch.Sequence.blockCount(for: layout, positions: total))
        let sequence = ForwardBatch.Sequence(consecutiveBlocksFor: layout, positions: total)
        var prefillTimes: [Double] = []
        var lastLogits: [Float] = []
        for _ in 0..<prefillRepeats {
            var batch = ForwardBatch()
            batch.append(sequence: sequence, tokens: prompt, startPosition: 0, wantsLogits: true)
            let start = Self.now()
            let logits = try model.forward(batch, cache: cache)
            prefillTimes.append(Self.now() - start)
            lastLogits = Array(logits.row(0))
        }
        var token = Int32(lastLogits.indices.max { lastLogits[$0] < lastLogits[$1] }!)
        let decodeStart = Self.now()
        var attention = 0.0
        for i in 0..<decodeTokens {
            var batch = ForwardBatch()
            batch.append(sequence: sequence, tokens: [token], startPosition: prompt.count + i, wantsLogits: true)
            let attentionBefore = model.attentionSeconds
            let logits = try model.forward(batch, cache: cache)
            attention += model.attentionSeconds - attentionBefore
            let row = logits.row(0)
            var best = 0
            for j in 1..<row.count where row[j] > row[best] { best = j }
            token = Int32(best)
        }
        return Result(promptTokens: prompt.count, prefillSeconds: prefillTimes.min()!, decodeTokens: decodeTokens,
                      decodeSeconds: Self.now() - decodeStart, decodeAttentionSeconds: attention)
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
