import GGUF
import Kernels

/// Qwen2 (llama.cpp `qwen2`): the Llama block with biases on Q, K and V and RoPE on NeoX
/// pairs (i, i + d/2); small models tie the output head to the embeddings.
struct Qwen2: Architecture {
    static let names = ["qwen2"]

    let configuration: ModelConfiguration
    let embeddings: PackedMatrix         // [vocabulary][embedding]
    let output: PackedMatrix             // [vocabulary][embedding] (may be `embeddings`)
    let outputNorm: [Float]
    let layers: [Llama.Layer]            // with `qkvBias` always present

    func forward(_ f: inout ForwardPass) -> Logits {
        f.embed(embeddings, scale: 1)
        for (il, layer) in layers.enumerated() {
            // Self-attention with Q/K/V biases, pre-norm.
            f.norm(f.x, weight: layer.attentionNorm, into: f.h)
            f.project(layer.qkv, f.h, into: f.qkv)
            f.addBias(layer.qkvBias!)
            f.rotate(local: false)
            f.attention(layer: il)
            f.project(layer.output, f.attentionOutput, into: f.projected)
            f.addResidual(f.projected)
            // SwiGLU feed-forward, pre-norm.
            f.norm(f.x, weight: layer.feedForwardNorm, into: f.h)
            f.project(layer.gateUp, f.h, into: f.gateUp)
            f.gatedActivation(gelu: false)
            f.project(layer.down, f.activated, into: f.projected)
            f.addResidual(f.projected)
        }
        return f.logits(norm: outputNorm, output: output)
    }

    static func configure(_ c: inout ModelConfiguration, file: GGUFFile) throws {
        c.rope = RotaryEmbedding(dimensions: c.rope.dimensions, base: c.rope.base, pairing: .neox,
                                 frequencyScale: c.rope.frequencyScale)
    }

    init(loader: WeightLoader, configuration c: ModelConfiguration) throws {
        configuration = c
        embeddings = try loader.matrix([TensorNames.tokenEmbedding], columns: c.embeddingLength, rows: [c.vocabularySize])
        output = try loadOutput(loader, embeddings: embeddings, c)
        outputNorm = try loader.vector(TensorNames.outputNorm, count: c.embeddingLength)
        layers = try (0..<c.layerCount).map { try Llama.Layer(loader: loader, layer: $0, c, biasRequired: true) }
    }

    var weightBytes: Int {
        (output === embeddings ? 0 : output.byteCount) + embeddings.byteCount + layers.reduce(0) { $0 + $1.byteCount }
    }
}
