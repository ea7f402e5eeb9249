/// How the engine is sized, from the daemon's command line.
public struct EngineOptions: Sendable, Equatable {
    /// Most sequences running at once (`--max-seqs`).
    public var maxSequences: Int
    /// Most tokens in one forward pass (`--max-batch-tokens`): every running sequence's next
    /// token plus prefill chunks.
    public var maxBatchTokens: Int
    /// Bytes of KV memory reserved at start-up (`--kv-memory`).
    public var kvMemoryBytes: Int
    /// Tokens per KV block.
    public var blockSize: Int
    /// Reuse the KV blocks of shared prompt prefixes.
    public var prefixCaching: Bool

    public init(maxSequences: Int = 64, maxBatchTokens: Int = 512, kvMemoryBytes: Int = 2 << 30,
                blockSize: Int = 16, prefixCaching: Bool = true) {
        self.maxSequences = maxSequences
        self.maxBatchTokens = maxBatchTokens
        self.kvMemoryBytes = kvMemoryBytes
        self.blockSize = blockSize
        self.prefixCaching = prefixCaching
    }

    public func validate() throws {
        guard maxSequences >= 1 else {
            throw EngineError.invalidOption(name: "--max-seqs", value: "\(maxSequences)", expected: "at least 1")
        }
        guard maxBatchTokens >= 1 else {
            throw EngineError.invalidOption(name: "--max-batch-tokens", value: "\(maxBatchTokens)", expected: "at least 1")
        }
        guard kvMemoryBytes >= 1 else {
            throw EngineError.invalidOption(name: "--kv-memory", value: "\(kvMemoryBytes) bytes", expected: "a positive size such as 2GiB")
        }
        guard blockSize >= 1, blockSize <= 1024 else {
            throw EngineError.invalidOption(name: "block size", value: "\(blockSize)", expected: "1 to 1024 tokens")
        }
    }
}
