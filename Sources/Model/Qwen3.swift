import GGUF
import Kernels
import Tokenizer

/// Qwen3 (llama.cpp `qwen3`): Qwen2's block without the Q/K/V biases and with an RMSNorm over
/// each head of the queries and keys before RoPE (one weight of head-dimension size for all
/// query heads, one for all key heads), RoPE on NeoX pairs, SwiGLU feed-forward; the output head
/// tied to the embeddings when `output.weight` is absent. Head dimension comes from
/// `attention.key_length` (128 on every size, not embedding / heads). Reference:
/// `qwen3_forward` in Scripts/reference_forward.py.
struct Qwen3: Architecture {
    static let facts = FamilyFacts(
        names: ["qwen3"], models: "Qwen3",
        chatFormat: { _ in .chatML },
        attention: "Q/K/V, per-head Q/K RMSNorm, no biases", feedForward: "SwiGLU", rope: "NeoX",
        outputHead: "tied or untied")

    struct Layer {
        let attentionNorm: [Float]           // [embedding]
        let qkv: PackedMatrix                // embedding → query + key + value
        let queryNorm, keyNorm: [Float]      // [head dim], shared by all heads
        let output: PackedMatrix             // query → embedding
        let feedForwardNorm: [Float]
        let gateUp: PackedMatrix             // embedding → 2 × feed-forward
        let down: PackedMatrix               // feed-forward → embedding

        var byteCount: Int { qkv.byteCount + output.byteCount + gateUp.byteCount + down.byteCount }
    }

    let configuration: ModelConfiguration
    let embeddings: PackedMatrix             // [vocabulary][embedding]
    let output: PackedMatrix                 // [vocabulary][embedding] (may be `embeddings`)
    let outputNorm: [Float]
    let layers: [Layer]

    func forward(_ f: inout ForwardPass) -> Logits {
        f.embed(embeddings, scale: 1)
        for (il, layer) in layers.enumerated() {
            // Self-attention, pre-norm, each Q and K head normalised before RoPE.
            f.norm(f.x, weight: layer.attentionNorm, into: f.h)
            f.project(layer.qkv, f.h, into: f.qkv)
            f.normalizeHeads(queryWeight: layer.queryNorm, keyWeight: layer.keyNorm)
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
                  queryNorm: try loader.vector(TensorNames.queryNorm(il), count: c.keyLength),
                  keyNorm: try loader.vector(TensorNames.keyNorm(il), count: c.keyLength),
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
