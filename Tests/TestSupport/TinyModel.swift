import Foundation
import GGUF
import Kernels

/// Writes tiny but complete GGUF models (random weights, a small SentencePiece vocabulary) for
/// the model, engine and daemon tests: every family, a mix of quantization types, Gemma's
/// sliding-window layers with a window small enough to matter.
public enum TinyModel {
    public enum Family: String, CaseIterable, Sendable { case gemma3, llama, qwen2, qwen3, phi3 }

    public struct Shape: Sendable {
        public var embedding = 64
        public var layers = 2
        public var heads = 4
        public var kvHeads = 2
        public var headDim = 16
        public var feedForward = 256
        public var context = 512
        /// Gemma 3 only: window of the sliding-window layers (every other layer is global).
        public var window = 8
        public init() {}
    }

    /// The vocabulary: 4 control tokens, 256 byte tokens, then `▁` and letter pieces.
    public static let controlTokens = ["<pad>", "<eos>", "<bos>", "<unk>"]
    public static let pieces: [String] = ["▁"] + (97...122).map { String(UnicodeScalar($0)!) }
        + (97...122).map { "▁" + String(UnicodeScalar($0)!) } + ["▁the", "▁and", "ing", "er", "▁a▁"]
    public static var vocabularySize: Int { controlTokens.count + 256 + pieces.count }

    /// Writes the model to `path` and returns it. `addBOS`/`addEOS` become
    /// `tokenizer.ggml.add_bos_token`/`add_eos_token`.
    @discardableResult
    /// `chatTemplate` is written as `tokenizer.chat_template` when given.
    public static func write(_ family: Family, to path: String, shape: Shape = Shape(), seed: UInt64 = 1,
                             addBOS: Bool = true, addEOS: Bool = false, chatTemplate: String? = nil) throws -> String {
        var rng = SplitMix64(seed: seed)
        var w = GGUFWriter()
        let arch = family.rawValue
        let s = shape
        w.add(GGUFKey.architecture, .string(arch))
        w.add(GGUFKey.name, .string("tiny \(arch)"))
        w.add(GGUFKey.contextLength(arch), .uint32(UInt32(s.context)))
        w.add(GGUFKey.embeddingLength(arch), .uint32(UInt32(s.embedding)))
        w.add(GGUFKey.blockCount(arch), .uint32(UInt32(s.layers)))
        w.add(GGUFKey.feedForwardLength(arch), .uint32(UInt32(s.feedForward)))
        w.add(GGUFKey.headCount(arch), .uint32(UInt32(s.heads)))
        w.add(GGUFKey.headCountKV(arch), .uint32(UInt32(s.kvHeads)))
        w.add(GGUFKey.keyLength(arch), .uint32(UInt32(s.headDim)))
        w.add(GGUFKey.valueLength(arch), .uint32(UInt32(s.headDim)))
        w.add(GGUFKey.layerNormRMSEpsilon(arch), .float32(1e-6))
        w.add(GGUFKey.ropeFreqBase(arch), .float32(family == .gemma3 ? 1_000_000 : 10_000))
        if family == .gemma3 {
            w.add(GGUFKey.slidingWindow(arch), .uint32(UInt32(s.window)))
            w.add(GGUFKey.slidingWindowPattern(arch), .uint32(2))
        }
        if family == .phi3 {
            // LongRoPE: a context beyond the original one selects the long factors.
            w.add(GGUFKey.ropeScalingOriginalContextLength(arch), .uint32(UInt32(s.context / 4)))
            w.add(GGUFKey.ropeScalingAttentionFactor(arch), .float32(1.19))
            // Rotary embedding over three quarters of each head, as on Phi-4-mini.
            w.add(GGUFKey.ropeDimensionCount(arch), .uint32(UInt32(s.headDim * 3 / 4)))
        }
        addVocabulary(&w, addBOS: addBOS, addEOS: addEOS)
        if let chatTemplate { w.add(GGUFKey.chatTemplate, .string(chatTemplate)) }

        let vocab = vocabularySize
        let q = s.heads * s.headDim, kv = s.kvHeads * s.headDim
        func matrix(_ name: String, _ columns: Int, _ rows: Int, _ type: TensorType) {
            // Random weights of a sensible size (std ≈ 1/√columns) through the test quantizer,
            // or random valid blocks for the K-quants it cannot write.
            if TestQuantizer.quantizableTypes.contains(type) {
                let scale = 1 / Float(columns).squareRoot()
                let values = (0..<columns * rows).map { _ in rng.nextGaussian() * scale }
                w.addTensor(name, shape: [columns, rows], type: type, values: values)
            } else {
                w.addRandomTensor(name, shape: [columns, rows], type: type, using: &rng)
            }
        }
        func vector(_ name: String, _ count: Int, around center: Float, spread: Float) {
            w.addTensor(name, shape: [count], type: .f32, values: (0..<count).map { _ in center + rng.nextGaussian() * spread })
        }
        matrix("token_embd.weight", s.embedding, vocab, .q8_0)
        vector("output_norm.weight", s.embedding, around: 1, spread: 0.1)
        if family == .llama || family == .phi3 { matrix("output.weight", s.embedding, vocab, .f16) }
        if family == .phi3 {
            let pairs = s.headDim * 3 / 8
            vector("rope_factors_long.weight", pairs, around: 4, spread: 1)
            vector("rope_factors_short.weight", pairs, around: 1, spread: 0.05)
        }
        let types: [TensorType] = [.q5_0, .q4_0, .q8_0, .q4_1, .f16, .q5_1]
        for il in 0..<s.layers {
            let t = types[il % types.count], t2 = types[(il + 1) % types.count]
            vector("blk.\(il).attn_norm.weight", s.embedding, around: 1, spread: 0.1)
            if family == .phi3 {
                matrix("blk.\(il).attn_qkv.weight", s.embedding, q + 2 * kv, t)
            } else {
                matrix("blk.\(il).attn_q.weight", s.embedding, q, t)
                matrix("blk.\(il).attn_k.weight", s.embedding, kv, t)
                matrix("blk.\(il).attn_v.weight", s.embedding, kv, t2)
            }
            matrix("blk.\(il).attn_output.weight", q, s.embedding, t2)
            vector("blk.\(il).ffn_norm.weight", s.embedding, around: 1, spread: 0.1)
            if family == .phi3 {
                matrix("blk.\(il).ffn_up.weight", s.embedding, 2 * s.feedForward, t)
            } else {
                matrix("blk.\(il).ffn_gate.weight", s.embedding, s.feedForward, t)
                matrix("blk.\(il).ffn_up.weight", s.embedding, s.feedForward, t)
            }
            matrix("blk.\(il).ffn_down.weight", s.feedForward, s.embedding, il % 2 == 0 ? .q4_K : .q6_K)
            if family == .qwen2 {
                vector("blk.\(il).attn_q.bias", q, around: 0, spread: 0.1)
                vector("blk.\(il).attn_k.bias", kv, around: 0, spread: 0.1)
                vector("blk.\(il).attn_v.bias", kv, around: 0, spread: 0.1)
            }
            if family == .gemma3 || family == .qwen3 {
                vector("blk.\(il).attn_q_norm.weight", s.headDim, around: 1, spread: 0.1)
                vector("blk.\(il).attn_k_norm.weight", s.headDim, around: 1, spread: 0.1)
            }
            if family == .gemma3 {
                vector("blk.\(il).post_attention_norm.weight", s.embedding, around: 1, spread: 0.1)
                vector("blk.\(il).post_ffw_norm.weight", s.embedding, around: 1, spread: 0.1)
            }
        }
        try w.write(to: path)
        return path
    }

    static func addVocabulary(_ w: inout GGUFWriter, addBOS: Bool, addEOS: Bool) {
        var tokens = controlTokens, scores = [Float](repeating: -1000, count: 4), types = [Int32](repeating: 3, count: 4)
        for byte in 0..<256 {
            tokens.append(String(format: "<0x%02X>", byte))
            scores.append(0)
            types.append(6)
        }
        for (i, piece) in pieces.enumerated() {
            tokens.append(piece)
            scores.append(-Float(i) - Float(piece.count == 1 ? 100 : 0))
            types.append(1)
        }
        w.add(GGUFKey.tokenizerModel, .string("llama"))
        w.add(GGUFKey.tokenizerPre, .string("default"))
        w.add(GGUFKey.tokens, .array(.string(tokens)))
        w.add(GGUFKey.tokenScores, .array(.float32(scores)))
        w.add(GGUFKey.tokenTypes, .array(.int32(types)))
        w.add(GGUFKey.bosTokenID, .uint32(2))
        w.add(GGUFKey.eosTokenID, .uint32(1))
        w.add(GGUFKey.unknownTokenID, .uint32(3))
        w.add(GGUFKey.paddingTokenID, .uint32(0))
        w.add(GGUFKey.addBOSToken, .bool(addBOS))
        w.add(GGUFKey.addEOSToken, .bool(addEOS))
        w.add(GGUFKey.addSpacePrefix, .bool(false))
    }
}
