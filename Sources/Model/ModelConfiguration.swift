import GGUF
import KVCache
import Kernels

/// The hyperparameters of a decoder-only transformer, read from GGUF metadata.
///
/// One struct for all three families; the architecture files say which fields they use.
public struct ModelConfiguration: Sendable {
    public var architecture: String
    public var name: String?
    public var contextLength: Int
    public var embeddingLength: Int
    public var layerCount: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var kvHeadCount: Int
    /// Per-head dimension of queries/keys and of values.
    public var keyLength: Int
    public var valueLength: Int
    public var vocabularySize: Int
    public var rmsEpsilon: Float
    /// RoPE for full-attention layers and (Gemma 3) for sliding-window layers.
    public var rope: RotaryEmbedding
    public var localRope: RotaryEmbedding?
    /// Sliding window per layer (nil: full causal attention).
    public var layerWindows: [Int?]
    /// Scale applied to q·k.
    public var attentionScale: Float
    /// Gemma multiplies token embeddings by √embeddingLength.
    public var embeddingScale: Float
    /// cap · tanh(logit / cap) on the final logits when set.
    public var finalLogitSoftcap: Float?

    public var queryDim: Int { headCount * keyLength }
    public var keyDim: Int { kvHeadCount * keyLength }
    public var valueDim: Int { kvHeadCount * valueLength }
    public var groupSize: Int { headCount / kvHeadCount }

    public func kvLayout(blockSize: Int = 16) -> KVCacheLayout {
        KVCacheLayout(windows: layerWindows, keyDim: keyDim, valueDim: valueDim, blockSize: blockSize)
    }

    /// Reads the fields every family shares; the family then adjusts what differs.
    init(file: GGUFFile, architecture arch: String) throws {
        let m = file.metadata
        func positive(_ key: String, default value: Int? = nil) throws -> Int {
            let found = try value.map { try m.int(key, default: $0) } ?? m.requireInt(key)
            guard found > 0 else {
                throw ModelError.invalidHyperparameter(path: file.path, key: key, value: "\(found)", reason: "must be positive")
            }
            return found
        }
        architecture = arch
        name = m.string(GGUFKey.name)
        contextLength = try positive(GGUFKey.contextLength(arch))
        embeddingLength = try positive(GGUFKey.embeddingLength(arch))
        layerCount = try positive(GGUFKey.blockCount(arch))
        feedForwardLength = try positive(GGUFKey.feedForwardLength(arch))
        headCount = try positive(GGUFKey.headCount(arch))
        kvHeadCount = try positive(GGUFKey.headCountKV(arch), default: headCount)
        keyLength = try positive(GGUFKey.keyLength(arch), default: embeddingLength / headCount)
        valueLength = try positive(GGUFKey.valueLength(arch), default: keyLength)
        let tokens = m.stringArray(GGUFKey.tokens)?.count
        vocabularySize = try positive(GGUFKey.vocabularySize(arch), default: tokens ?? 0)
        rmsEpsilon = try m.float(GGUFKey.layerNormRMSEpsilon(arch), default: 1e-5)
        guard headCount % kvHeadCount == 0 else {
            throw ModelError.invalidHyperparameter(path: file.path, key: GGUFKey.headCountKV(arch), value: "\(kvHeadCount)",
                                                   reason: "must divide the head count \(headCount)")
        }
        guard keyLength % 16 == 0, valueLength == keyLength else {
            throw ModelError.invalidHyperparameter(path: file.path, key: GGUFKey.keyLength(arch), value: "\(keyLength)",
                                                   reason: "is not supported: head dimensions must be equal multiples of 16")
        }
        guard headCount / kvHeadCount <= 8 else {
            throw ModelError.invalidHyperparameter(path: file.path, key: GGUFKey.headCountKV(arch), value: "\(kvHeadCount)",
                                                   reason: "gives \(headCount / kvHeadCount) query heads per KV head; at most 8 are supported")
        }
        let ropeDims = try positive(GGUFKey.ropeDimensionCount(arch), default: keyLength)
        var scale: Float = 1
        if let type = m.string(GGUFKey.ropeScalingType(arch)), type != "none" {
            guard type == "linear" else {
                throw ModelError.invalidHyperparameter(path: file.path, key: GGUFKey.ropeScalingType(arch), value: type,
                                                       reason: "is not supported (supported: none, linear)")
            }
            scale = 1 / (try m.float(GGUFKey.ropeScalingFactor(arch), default: 1))
        }
        rope = RotaryEmbedding(dimensions: ropeDims, base: try m.float(GGUFKey.ropeFreqBase(arch), default: 10_000),
                               pairing: .normal, frequencyScale: scale)
        localRope = nil
        layerWindows = Array(repeating: nil, count: layerCount)
        attentionScale = 1 / Float(keyLength).squareRoot()
        embeddingScale = 1
        finalLogitSoftcap = m.float(GGUFKey.finalLogitSoftcapping(arch))
    }
}
