import GGUF
import Kernels

/// Qwen2 (llama.cpp `qwen2`): the Llama block (see `Llama.forward`) with biases on Q, K and V,
/// which every layer must have, and RoPE on NeoX pairs (i, i + d/2) instead of adjacent ones;
/// small models tie the output head to the embeddings.
struct Qwen2: Architecture {
    static let names = ["qwen2"]

    /// The same weights and forward pass as Llama; only loading and RoPE pairing differ.
    let body: Llama

    func forward(_ f: inout ForwardPass) -> Logits { body.forward(&f) }

    static func configure(_ c: inout ModelConfiguration, file: GGUFFile) throws {
        c.rope = RotaryEmbedding(dimensions: c.rope.dimensions, base: c.rope.base, pairing: .neox,
                                 frequencyScale: c.rope.frequencyScale)
    }

    init(loader: WeightLoader, configuration c: ModelConfiguration) throws {
        body = try Llama(loader: loader, configuration: c, biasRequired: true)
    }

    var weightBytes: Int { body.weightBytes }
}
