import GGUF
import Kernels
import Tokenizer

/// Gemma 3 (llama.cpp `gemma3`): 5 sliding-window layers (RoPE base 10k, window 512) to 1
/// global layer (RoPE base 1M), QK-norm, sandwich norms around attention and FFN, GeGLU with
/// the GELU on the gate, embeddings scaled by √d and tied to the output.
/// Facts and reference numbers: shared/notes/gemma3-gguf-facts.md section 4.
struct Gemma3: Architecture {
    static let facts = FamilyFacts(
        names: ["gemma3"], models: "Gemma 3",
        chatFormat: { _ in .gemma },
        attention: "Q/K/V, per-head Q/K norm, sandwich norms, 5 sliding-window : 1 global layer",
        feedForward: "GeGLU", rope: "NeoX, two bases", outputHead: "tied, embeddings ×√d")

    struct Layer {
        let attentionNorm: [Float]           // [embedding]
        let qkv: PackedMatrix                // embedding → query + key + value
        let queryNorm, keyNorm: [Float]      // [head dim], shared by all heads
        let output: PackedMatrix             // query → embedding
        let postAttentionNorm: [Float]
        let feedForwardNorm: [Float]
        let gateUp: PackedMatrix             // embedding → 2 × feed-forward
        let down: PackedMatrix               // feed-forward → embedding
        let postFeedForwardNorm: [Float]
        let isLocal: Bool                    // sliding-window layer
    }

    let configuration: ModelConfiguration
    let embeddings: PackedMatrix             // [vocabulary][embedding], also the output projection
    let output: PackedMatrix
    let outputNorm: [Float]
    let layers: [Layer]

    func forward(_ f: inout ForwardPass) -> Logits {
        let c = configuration
        f.embed(embeddings, scale: c.embeddingScale)
        for (il, layer) in layers.enumerated() {
            // Attention, normalised on both sides.
            f.norm(f.x, weight: layer.attentionNorm, into: f.h)
            f.project(layer.qkv, f.h, into: f.qkv)
            f.normalizeHeads(queryWeight: layer.queryNorm, keyWeight: layer.keyNorm)
            f.rotate(local: layer.isLocal)
            f.attention(layer: il)
            f.project(layer.output, f.attentionOutput, into: f.projected)
            f.norm(f.projected, weight: layer.postAttentionNorm, into: f.projected)
            f.addResidual(f.projected)
            // GeGLU feed-forward, normalised on both sides.
            f.norm(f.x, weight: layer.feedForwardNorm, into: f.h)
            f.project(layer.gateUp, f.h, into: f.gateUp)
            f.gatedActivation(gelu: true)
            f.project(layer.down, f.activated, into: f.projected)
            f.norm(f.projected, weight: layer.postFeedForwardNorm, into: f.projected)
            f.addResidual(f.projected)
            f.layerOutput(il)
        }
        return f.logits(norm: outputNorm, output: output)
    }

    static func configure(_ c: inout ModelConfiguration, file: GGUFFile) throws {
        let m = file.metadata, arch = c.architecture
        let window = try m.int(GGUFKey.slidingWindow(arch), default: 512)
        // Every sixth layer is global unless the file lists the pattern per layer.
        let pattern = m.intArray(GGUFKey.slidingWindowPattern(arch))
        let period = pattern == nil ? try m.int(GGUFKey.slidingWindowPattern(arch), default: 6) : 6
        c.layerWindows = (0..<c.layerCount).map { il in
            let local = pattern.map { il < $0.count && $0[il] != 0 } ?? (il % period < period - 1)
            return local ? window : nil
        }
        // Linear RoPE scaling, when present, applies to the global layers only.
        c.rope = RotaryEmbedding(dimensions: c.rope.dimensions, base: try m.float(GGUFKey.ropeFreqBase(arch), default: 1_000_000),
                                 pairing: .neox, frequencyScale: c.rope.frequencyScale)
        c.localRope = RotaryEmbedding(dimensions: c.rope.dimensions,
                                      base: try m.float(GGUFKey.ropeFreqBaseSWA(arch), default: 10_000), pairing: .neox)
        // The 27B model scales by the model width per head; the others by the head dimension.
        let scaleDim = c.layerCount == 62 ? c.embeddingLength / c.headCount : c.keyLength
        c.attentionScale = try m.float(GGUFKey.attentionScale(arch), default: 1 / Float(scaleDim).squareRoot())
        c.embeddingScale = Float(c.embeddingLength).squareRoot()
        // Sliding-window Gemma 3 graphs never soft-cap the logits (llama.cpp).
        c.finalLogitSoftcap = nil
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
                  postAttentionNorm: try loader.vector(TensorNames.postAttentionNorm(il), count: c.embeddingLength),
                  feedForwardNorm: try loader.vector(TensorNames.feedForwardNorm(il), count: c.embeddingLength),
                  gateUp: try loadGateUp(loader, layer: il, c),
                  down: try loader.matrix([TensorNames.down(il)], columns: c.feedForwardLength, rows: [c.embeddingLength]),
                  postFeedForwardNorm: try loader.vector(TensorNames.postFeedForwardNorm(il), count: c.embeddingLength),
                  isLocal: c.layerWindows[il] != nil)
        }
    }

    var weightBytes: Int {
        (output === embeddings ? 0 : output.byteCount) + embeddings.byteCount
            + layers.reduce(0) { $0 + $1.qkv.byteCount + $1.output.byteCount + $1.gateUp.byteCount + $1.down.byteCount }
    }
}
