import KVCache

/// What the engine needs from a model: its shape, and one forward pass over a flat batch.
///
/// Two implementations: `TransformerModel` (the real decoder over a GGUF file) and the scripted
/// fake the engine tests use.
public protocol LanguageModel: AnyObject, Sendable {
    var vocabularySize: Int { get }
    /// Longest sequence (prompt + generated tokens) the model supports.
    var contextLength: Int { get }
    /// The model's KV layout with the default block size; any block size works with `forward`.
    var kvLayout: KVCacheLayout { get }

    /// Runs the batch, writes its keys and values into `cache`, and returns one row of
    /// `vocabularySize` logits per entry of `batch.logitTokens`. The returned rows stay valid
    /// until the next call.
    func forward(_ batch: ForwardBatch, cache: KVBlockStorage) throws -> Logits

    /// Bytes `forward` works in, besides weights and the KV cache, for batches of up to
    /// `tokens` tokens and `rows` logit rows: activations, logits, per-thread scratch.
    func workingMemoryBytes(tokens: Int, rows: Int) -> Int

    /// Allocates that working memory now, so batches within it never reallocate.
    func reserveWorkingMemory(tokens: Int, rows: Int)
}

/// Rows of next-token logits: [rowCount][vocabularySize], owned by the model.
public struct Logits: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let rowCount: Int
    public let vocabularySize: Int

    public init(base: UnsafeMutablePointer<Float>, rowCount: Int, vocabularySize: Int) {
        self.base = base
        self.rowCount = rowCount
        self.vocabularySize = vocabularySize
    }

    @inline(__always)
    public func row(_ r: Int) -> UnsafeMutableBufferPointer<Float> {
        precondition(r >= 0 && r < rowCount)
        return UnsafeMutableBufferPointer(start: base + r * vocabularySize, count: vocabularySize)
    }
}
