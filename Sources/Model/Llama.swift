import GGUF
import Kernels
import Tokenizer

/// Llama (llama.cpp `llama`: Llama 2/3, Mistral-style GQA models): pre-norm blocks, RoPE on
/// adjacent pairs (the converter permutes Q/K for it), SwiGLU feed-forward, optional
/// `rope_freqs` frequency factors (Llama 3.1+), output head tied to the embeddings when
/// `output.weight` is absent.
struct Llama: Architecture {
    static let facts = FamilyFacts(
        names: ["llama"], models: "Llama 2/3.x, Mistral, SmolLM2",
        // Llama 3 vocabularies carry its header markers; Llama 2 and Mistral files need a template.
        chatFormat: { $0.token(forPiece: ChatFormat.llama3.templateMarker) != nil ? .llama3 : nil },
        attention: "Q/K/V (biases if present)", feedForward: "SwiGLU",
        rope: "adjacent pairs, `rope_freqs` factors (Llama 3.1+ scaling), linear scaling", outputHead: "tied or untied")

    /// The weights of one pre-norm block.
    struct Layer {
        let attentionNorm: [Float]       // [embedding]
        let qkv: PackedMatrix            // embedding → query + key + value
        let qkvBias: [Float]?            // [query + key + value]
        let output: PackedMatrix         // query → embedding
        let feedForwardNorm: [Float]
        let gateUp: PackedMatrix         // embedding → 2 × feed-forward
        let down: PackedMatrix           // feed-forward → embedding

        init(loader: WeightLoader, layer il: Int, _ c: ModelConfiguration) throws {
            attentionNorm = try loader.vector(TensorNames.attentionNorm(il), count: c.embeddingLength)
            qkv = try loadQKV(loader, layer: il, c)
            // Some Llama-architecture files (converted from models with attention biases) have them.
            if loader.has(TensorNames.queryBias(il)) {
                qkvBias = try loader.vector(TensorNames.queryBias(il), count: c.queryDim)
                    + loader.vector(TensorNames.keyBias(il), count: c.keyDim)
                    + loader.vector(TensorNames.valueBias(il), count: c.valueDim)
            } else {
                qkvBias = nil
            }
            output = try loader.matrix([TensorNames.attentionOutput(il)], columns: c.queryDim, rows: [c.embeddingLength])
            feedForwardNorm = try loader.vector(TensorNames.feedForwardNorm(il), count: c.embeddingLength)
            gateUp = try loadGateUp(loader, layer: il, c)
            down = try loader.matrix([TensorNames.down(il)], columns: c.feedForwardLength, rows: [c.embeddingLength])
        }

        var byteCount: Int { qkv.byteCount + output.byteCount + gateUp.byteCount + down.byteCount }
    }

    let configuration: ModelConfiguration
    let embeddings: PackedMatrix         // [vocabulary][embedding]
    let output: PackedMatrix             // [vocabulary][embedding] (may be `embeddings`)
    let outputNorm: [Float]
    let layers: [Layer]

    func forward(_ f: inout ForwardPass) -> Logits {
        f.embed(embeddings, scale: 1)
        for (il, layer) in layers.enumerated() {
            // Self-attention, pre-norm (with Q/K/V biases when the file has them).
            f.norm(f.x, weight: layer.attentionNorm, into: f.h)
            f.project(layer.qkv, f.h, into: f.qkv)
            if let bias = layer.qkvBias { f.addBias(bias) }
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
        let loader = WeightLoader(file: file)
        let factors = try loader.optionalVector(TensorNames.ropeFrequencies, count: c.rope.dimensions / 2)
        c.rope = RotaryEmbedding(dimensions: c.rope.dimensions, base: c.rope.base, pairing: .normal,
                                 frequencyScale: c.rope.frequencyScale, frequencyFactors: factors)
    }

    init(loader: WeightLoader, configuration c: ModelConfiguration) throws {
        configuration = c
        embeddings = try loader.matrix([TensorNames.tokenEmbedding], columns: c.embeddingLength, rows: [c.vocabularySize])
        output = try loadOutput(loader, embeddings: embeddings, c)
        outputNorm = try loader.vector(TensorNames.outputNorm, count: c.embeddingLength)
        layers = try (0..<c.layerCount).map { try Layer(loader: loader, layer: $0, c) }
    }

    var weightBytes: Int {
        (output === embeddings ? 0 : output.byteCount) + embeddings.byteCount + layers.reduce(0) { $0 + $1.byteCount }
    }
}
