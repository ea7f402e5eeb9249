import GGUF
import Kernels
import Tokenizer

/// Qwen2 / Qwen2.5 (llama.cpp `qwen2`): pre-norm blocks with biases on Q, K and V (every layer
/// must have them), RoPE on NeoX pairs (i, i + d/2), SwiGLU feed-forward; small models tie the
/// output head to the embeddings. Reference: `qwen2_forward` in Scripts/reference_forward.py.
struct Qwen2: Architecture {
    static let facts = FamilyFacts(
        names: ["qwen2"], models: "Qwen2, Qwen2.5",
        chatFormat: { _ in .chatML },
        attention: "Q/K/V with required biases", feedForward: "SwiGLU", rope: "NeoX", outputHead: "tied or untied")

    struct Layer {
        let attentionNorm: [Float]       // [embedding]
        let qkv: PackedMatrix            // embedding → query + key + value
        let qkvBias: [Float]             // [query + key + value]
        let output: PackedMatrix         // query → embedding
        let feedForwardNorm: [Float]
        let gateUp: PackedMatrix         // embedding → 2 × feed-forward
        let down: PackedMatrix           // feed-forward → embedding

        var byteCount: Int { qkv.byteCount + output.byteCount + gateUp.byteCount + down.byteCount }
    }

    let configuration: ModelConfiguration
    let embeddings: PackedMatrix         // [vocabulary][embedding]
    let output: PackedMatrix             // [vocabulary][embedding] (usually `embeddings`)
    let outputNorm: [Float]
    let layers: [Layer]

    func forward(_ f: inout ForwardPass) -> Logits {
        f.embed(embeddings, scale: 1)
        for (il, layer) in layers.enumerated() {
            // Self-attention, pre-norm, biased Q/K/V.
            f.norm(f.x, weight: layer.attentionNorm, into: f.h)
            f.project(layer.qkv, f.h, into: f.qkv)
            f.addBias(layer.qkvBias)
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
            f.layerOutput(il)
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
        layers = try (0..<c.layerCount).map { il in
            Layer(attentionNorm: try loader.vector(TensorNames.attentionNorm(il), count: c.embeddingLength),
                  qkv: try loadQKV(loader, layer: il, c),
                  qkvBias: try loader.vector(TensorNames.queryBias(il), count: c.queryDim)
                      + loader.vector(TensorNames.keyBias(il), count: c.keyDim)
                      + loader.vector(TensorNames.valueBias(il), count: c.valueDim),
                  output: try loader.matrix([TensorNames.attentionOutput(il)], columns: c.queryDim, rows: [c.embeddingLength]),
                  feedForwardNorm: try loader.vector(TensorNames.feedForwardNorm(il), count: c.embeddingLength),
                  gateUp: try loadGateUp(loader, layer: il, c),
                  down: try loader.matrix([TensorNames.down(il)], columns: c.feedForwardLength, rows: [c.embeddingLength]))
        }
    }

    var weightBytes: Int {
        (output === embeddings ? 0 : output.byteCount) + embeddings.byteCount + layers.reduce(0) { $0 + $1.byteCount }
    }
}
