import Kernels
import KVCache

/// How the engine is sized (the daemon's command line sets these; `validate` reports a bad one
/// as an `Option`, which the command line names with its flag).
public struct EngineOptions: Sendable, Equatable {
    /// The sizes `validate` checks.
    public enum Option: String, Sendable, Equatable {
        case maxSequences, maxBatchTokens, kvMemoryBytes, blockSize
    }

    /// Most sequences running at once.
    public var maxSequences: Int
    /// Most tokens in one forward pass: every running sequence's next token plus prefill chunks.
    public var maxBatchTokens: Int
    /// Bytes of KV memory reserved at start-up.
    public var kvMemoryBytes: Int
    /// Tokens per KV block.
    public var blockSize: Int
    /// Reuse the KV blocks of shared prompt prefixes.
    public var prefixCaching: Bool
    /// The number format of cached keys and values (`--kv-type`): f16 holds twice the tokens
    /// in `kvMemoryBytes`.
    public var kvPrecision: KVPrecision
    /// When the KV pool's pages become resident: at start (a daemon, whose jobs fill the pool
    /// anyway: no page faults inside attention) or as first written (`jobs generate`).
    public var kvResidency: KVBlockStorage.Residency

    /// The `--kv-type` a command uses when none is given (`KVPrecision.default`: bf16 with
    /// AVX-512 BF16, else f16; why is measured at `KVPrecision.preferred`).
    public static let defaultKVPrecision: KVPrecision = .default

    public init(maxSequences: Int = 64, maxBatchTokens: Int = 512, kvMemoryBytes: Int = 2 << 30,
                blockSize: Int = 16, prefixCaching: Bool = true, kvPrecision: KVPrecision = EngineOptions.defaultKVPrecision,
                kvResidency: KVBlockStorage.Residency = .atStart) {
        self.maxSequences = maxSequences
        self.maxBatchTokens = maxBatchTokens
        self.kvMemoryBytes = kvMemoryBytes
        self.blockSize = blockSize
        self.prefixCaching = prefixCaching
        self.kvPrecision = kvPrecision
        self.kvResidency = kvResidency
    }

    /// The largest forward pass these options allow, which sizes the model's working memory:
    /// `maxBatchTokens` tokens and one logit row per sequence, each sequence in a step having at
    /// least one of its tokens there, so at most `min(maxSequences, maxBatchTokens)` rows.
    public var largestStep: (tokens: Int, logitRows: Int) {
        (maxBatchTokens, min(maxSequences, maxBatchTokens))
    }

    public func validate() throws {
        guard maxSequences >= 1 else {
            throw EngineError.invalidOption(.maxSequences, value: maxSequences, expected: "at least 1")
        }
        guard maxBatchTokens >= 1 else {
            throw EngineError.invalidOption(.maxBatchTokens, value: maxBatchTokens, expected: "at least 1")
        }
        guard kvMemoryBytes >= 1 else {
            throw EngineError.invalidOption(.kvMemoryBytes, value: kvMemoryBytes, expected: "at least 1 byte")
        }
        guard blockSize >= 1, blockSize <= 1024 else {
            throw EngineError.invalidOption(.blockSize, value: blockSize, expected: "1 to 1024 tokens")
        }
        // bf16 stores values in pairs of positions inside a block (`AttentionLayout`).
        guard kvPrecision != .bf16 || blockSize % 2 == 0 else {
            throw EngineError.invalidOption(.blockSize, value: blockSize, expected: "an even number of tokens with a bf16 KV cache")
        }
    }
}
