import GGUF
import Kernels
import Tokenizer

/// Phi-3, Phi-3.5 and Phi-4-mini (llama.cpp `phi3`): pre-norm blocks with Q, K and V in one
/// tensor (`attn_qkv`, or three when a converter split them) and gate and up in one (`ffn_up`,
/// [gate | up] rows, 2 × feed-forward), RoPE on NeoX pairs over `rope.dimension_count`
/// dimensions (96 of 128 on Phi-4-mini), SwiGLU feed-forward, an untied output head.
///
/// LongRoPE (the 128k files): per-pair frequency factors `rope_factors_long` / `_short` divide
/// the angles, long when the model's context exceeds `rope.scaling.original_context_length`
/// (llama.cpp picks by the context it runs with; ours is always the file's), and
/// `rope.scaling.attn_factor` multiplies the rotated queries and keys, so q·k by its square,
/// which is where it is applied here. Sliding-window attention is off, as in llama.cpp.
/// Reference: `phi3_forward` in Scripts/reference_forward.py.
struct Phi3: Architecture {
    static let facts = FamilyFacts(
        names: ["phi3"], models: "Phi-3, 3.5, Phi-4-mini",
        chatFormat: { _ in .phi3 },
        attention: "fused `attn_qkv`", feedForward: "fused `ffn_up` [gate, up], SwiGLU",
        rope: "NeoX, partial dims, LongRoPE factors and attention factor", outputHead: "untied")

    struct Layer {
        let attentionNorm: [Float]       // [embedding]
        let qkv: PackedMatrix            // embedding → query + key + value
        let output: PackedMatrix         // query → embedding
        let feedForwardNorm: [Float]
        let gateUp: PackedMatrix         // embedding → 2 × feed-forward
        let down: PackedMatrix           // feed-forward → embedding

        var byteCount: Int { qkv.byteCount + output.byteCount + gateUp.byteCount + down.byteCount }
    }

    let configuration: ModelConfiguration
    let embeddings: PackedMatrix         // [vocabulary][embedding]
    let output: PackedMatrix             // [vocabulary][embedding]
    let outputNorm: [Float]
    let layers: [Layer]

    func forward(_ f: inout ForwardPass) -> Logits {
        f.embed(embeddings, scale: 1)
        for (il, layer) in layers.enumerated() {
            // Self-attention, pre-norm.
            f.norm(f.x, weight: layer.attentionNorm, into: f.h)
            f.project(layer.qkv, f.h, into: f.qkv)
            f.rotate(local: false)
            f.attention(layer: il)
            f.project(layer.output, f.attentionOutput, into: f.projected)
            f.addResidual(f.projected)
            // SwiGLU feed-forward, pre-norm, from the fused [gate | up] product.
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
        let loader = WeightLoader(file: file), m = file.metadata, arch = c.architecture
        let pairs = c.rope.dimensions / 2
        let original = try m.int(GGUFKey.ropeScalingOriginalContextLength(arch), default: c.contextLength)
        let factors = c.contextLength > original
            ? try loader.optionalVector(TensorNames.ropeFactorsLong, count: pairs)
            : try loader.optionalVector(TensorNames.ropeFactorsShort, count: pairs)
        c.rope = RotaryEmbedding(dimensions: c.rope.dimensions, base: c.rope.base, pairing: .neox,
                                 frequencyScale: c.rope.frequencyScale, frequencyFactors: factors)
        let attentionFactor = try m.float(GGUFKey.ropeScalingAttentionFactor(arch), default: 1)
        c.attentionScale *= attentionFactor * attentionFactor
    }

    init(loader: WeightLoader, configuration c: ModelConfiguration) throws {
        configuration = c
        embeddings = try loader.matrix([TensorNames.tokenEmbedding], columns: c.embeddingLength, rows: [c.vocabularySize])
        output = try loadOutput(loader, embeddings: embeddings, c)
        outputNorm = try loader.vector(TensorNames.outputNorm, count: c.embeddingLength)
        layers = try (0..<c.layerCount).map { il in
            let qkv = loader.has(TensorNames.fusedQKV(il))
                ? try loader.matrix([TensorNames.fusedQKV(il)], columns: c.embeddingLength,
                                    rows: [c.queryDim + c.keyDim + c.valueDim])
                : try loadQKV(loader, layer: il, c)
            return Layer(attentionNorm: try loader.vector(TensorNames.attentionNorm(il), count: c.embeddingLength),
                         qkv: qkv,
                         output: try loader.matrix([TensorNames.attentionOutput(il)], columns: c.queryDim, rows: [c.embeddingLength]),
                         feedForwardNorm: try loader.vector(TensorNames.feedForwardNorm(il), count: c.embeddingLength),
                         gateUp: try loader.matrix([TensorNames.up(il)], columns: c.embeddingLength,
                                                   rows: [2 * c.feedForwardLength]),
                         down: try loader.matrix([TensorNames.down(il)], columns: c.feedForwardLength, rows: [c.embeddingLength]))
        }
    }

    var weightBytes: Int {
        (output === embeddings ? 0 : output.byteCount) + embeddings.byteCount + layers.reduce(0) { $0 + $1.byteCount }
    }
}
