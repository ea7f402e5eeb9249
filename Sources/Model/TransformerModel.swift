import Foundation
import GGUF
import KVCache
import Kernels
import Synchronization

/// A decoder-only transformer loaded from a GGUF file: the real `LanguageModel`.
///
/// Loading reads the hyperparameters, picks the family by `general.architecture`, and packs
/// every weight matrix once (see `PackedMatrix`); the GGUF file is not needed afterwards.
/// `forward` may be called from any thread, one call at a time.
public final class TransformerModel: LanguageModel, @unchecked Sendable {
    public let path: String
    public let configuration: ModelConfiguration
    /// Bytes of prepared weights in memory.
    public let weightBytes: Int
    /// Values in the file's tensors (what "270M" counts).
    public let parameterCount: Int
    /// Wall time the load took.
    public let loadSeconds: Double

    private let architecture: any Architecture
    private let buffers = ForwardBuffers()
    private let pool: WorkerPool
    /// Serializes forward passes; holds the running total of their attention time (seconds).
    private let lock = Mutex<Double>(0)

    /// Wall time spent in attention by every forward pass so far (part of their time), for step
    /// profiles: callers that profile take differences (`Engine`'s `attentionClock`).
    public var attentionSeconds: Double { lock.withLock { $0 } }

    public var vocabularySize: Int { configuration.vocabularySize }
    public var contextLength: Int { configuration.contextLength }
    public var kvLayout: KVCacheLayout { configuration.kvLayout() }

    /// How activations meet integer weights in this model's matrix products.
    public let activations: MatrixActivations

    public convenience init(path: String, pool: WorkerPool = .shared, activations: MatrixActivations = .default) throws {
        try self.init(file: GGUFFile(path: path), pool: pool, activations: activations)
    }

    public init(file: GGUFFile, pool: WorkerPool = .shared, activations: MatrixActivations = .default) throws {
        try CPUFeatures.check()
        let start = Date()
        let family = try Self.family(of: file)
        let configuration = try Self.configuration(of: file)
        architecture = try family.init(loader: WeightLoader(file: file, activations: activations),
                                       configuration: configuration)
        self.activations = activations == .int8 && !MatrixActivations.int8Supported ? .float32 : activations
        self.configuration = configuration
        self.pool = pool
        path = file.path
        weightBytes = architecture.weightBytes
        parameterCount = file.tensors.reduce(0) { $0 + $1.elementCount }
        loadSeconds = Date().timeIntervalSince(start)
    }

    /// Bytes the forward pass works in once batches of up to `tokens` tokens and `rows` logit
    /// rows have run, besides weights and KV cache (see `WorkingMemory`).
    public func workingMemoryBytes(tokens: Int, rows: Int) -> Int {
        WorkingMemory.bytes(configuration: configuration, tokens: tokens, rows: rows, threads: pool.threadCount,
                            int8: activations == .int8)
    }

    /// Allocates the activation and logit buffers for batches of up to `tokens` tokens and
    /// `rows` logit rows now, so that such batches never reallocate them (a buffer grown twofold
    /// could otherwise end up twice the largest batch). Pages become resident as batches write them.
    public func reserveWorkingMemory(tokens: Int, rows: Int) {
        lock.withLock { _ in buffers.reserve(tokens: tokens, rows: rows, configuration: configuration) }
    }

    private static func family(of file: GGUFFile) throws -> any Architecture.Type {
        guard let family = ArchitectureRegistry.family(named: file.architecture) else {
            throw ModelError.unknownArchitecture(path: file.path, name: file.architecture,
                                                 supported: ArchitectureRegistry.supportedNames)
        }
        return family
    }

    /// The hyperparameters of the model in `file`, from its header.
    static func configuration(of file: GGUFFile) throws -> ModelConfiguration {
        let family = try Self.family(of: file)
        var configuration = try ModelConfiguration(file: file, architecture: file.architecture!)
        try family.configure(&configuration, file: file)
        return configuration
    }

    public func forward(_ batch: ForwardBatch, cache: KVBlockStorage) throws -> Logits {
        try forward(batch, cache: cache, tap: nil)
    }

    /// `forward`, handing every layer's output to `tap` (see `LayerTap`).
    public func forward(_ batch: ForwardBatch, cache: KVBlockStorage, tap: LayerTap?) throws -> Logits {
        try lock.withLock { attentionTotal in
            let layout = cache.layout, expected = kvLayout
            guard layout.keyDim == expected.keyDim, layout.valueDim == expected.valueDim,
                  layout.groups == expected.groups else {
                throw ModelError.invalidForwardBatch("the KV cache layout does not belong to this model")
            }
            var pass = try ForwardPass(batch: batch, configuration: configuration, buffers: buffers, cache: cache, pool: pool, tap: tap)
            let logits = batch.tokenCount == 0
                ? Logits(base: buffers.logits.base, rowCount: 0, vocabularySize: vocabularySize)
                : architecture.forward(&pass)
            attentionTotal += pass.attentionSeconds
            return logits
        }
    }
}
