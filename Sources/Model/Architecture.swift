import GGUF
import Kernels
import Tokenizer

/// One model family: how its hyperparameters differ from the common reading, which tensors it
/// loads, and its forward pass, in one file per family whose forward recipe reads top to bottom:
/// `Gemma3`, `Llama`, `Qwen2`, `Qwen3`, `Phi3`. README "Adding a model" lists the steps.
protocol Architecture: Sendable {
    /// The family's row of the registry: its names, chat format default and shape.
    static var facts: FamilyFacts { get }
    /// Adjusts the common configuration to the family's conventions.
    static func configure(_ configuration: inout ModelConfiguration, file: GGUFFile) throws
    init(loader: WeightLoader, configuration: ModelConfiguration) throws
    /// Runs the layers over the batch and returns logits for the sampled positions.
    func forward(_ pass: inout ForwardPass) -> Logits
    /// Bytes of prepared weights.
    var weightBytes: Int { get }
}

extension Architecture {
    static var names: [String] { facts.names }
}

/// The families this build can run, by `general.architecture`. Adding one is one line.
public enum ArchitectureRegistry {
    static let families: [any Architecture.Type] = [Gemma3.self, Llama.self, Qwen2.self, Qwen3.self, Phi3.self]

    /// Every family's facts, in registry order.
    static var table: [FamilyFacts] { families.map { $0.facts } }

    public static var supportedNames: [String] { families.flatMap { $0.names } }

    static func family(named name: String?) -> (any Architecture.Type)? {
        guard let name else { return nil }
        return families.first { $0.names.contains(name) }
    }

    /// The chat format for a file of architecture `name` without a chat template (nil: none).
    public static func defaultChatFormat(architecture name: String?, tokenizer: any Tokenizer) -> ChatFormat? {
        family(named: name)?.facts.chatFormat(tokenizer)
    }
}

/// Q, K and V stacked into one matrix (one multiply per layer instead of three).
func loadQKV(_ loader: WeightLoader, layer: Int, _ c: ModelConfiguration) throws -> PackedMatrix {
    try loader.matrix([TensorNames.query(layer), TensorNames.key(layer), TensorNames.value(layer)],
                      columns: c.embeddingLength, rows: [c.queryDim, c.keyDim, c.valueDim])
}

/// Gate and up stacked into one matrix; rows hold [gate | up].
func loadGateUp(_ loader: WeightLoader, layer: Int, _ c: ModelConfiguration) throws -> PackedMatrix {
    try loader.matrix([TensorNames.gate(layer), TensorNames.up(layer)], columns: c.embeddingLength,
                      rows: [c.feedForwardLength, c.feedForwardLength])
}

/// The output projection: `output.weight`, or the token embeddings when the file ties them.
func loadOutput(_ loader: WeightLoader, embeddings: PackedMatrix, _ c: ModelConfiguration) throws -> PackedMatrix {
    guard loader.has(TensorNames.output) else { return embeddings }
    return try loader.matrix([TensorNames.output], columns: c.embeddingLength, rows: [c.vocabularySize])
}
