/// GGUF tensor names (llama.cpp's conventions), in one place.
enum TensorNames {
    static let tokenEmbedding = "token_embd.weight"
    static let outputNorm = "output_norm.weight"
    static let output = "output.weight"
    static let ropeFrequencies = "rope_freqs.weight"
    /// Phi-3's LongRoPE frequency factors, beyond and within the original context.
    static let ropeFactorsLong = "rope_factors_long.weight"
    static let ropeFactorsShort = "rope_factors_short.weight"

    static func attentionNorm(_ layer: Int) -> String { "blk.\(layer).attn_norm.weight" }
    static func query(_ layer: Int) -> String { "blk.\(layer).attn_q.weight" }
    static func key(_ layer: Int) -> String { "blk.\(layer).attn_k.weight" }
    static func value(_ layer: Int) -> String { "blk.\(layer).attn_v.weight" }
    static func queryBias(_ layer: Int) -> String { "blk.\(layer).attn_q.bias" }
    static func keyBias(_ layer: Int) -> String { "blk.\(layer).attn_k.bias" }
    static func valueBias(_ layer: Int) -> String { "blk.\(layer).attn_v.bias" }
    /// Q, K and V in one tensor (Phi-3).
    static func fusedQKV(_ layer: Int) -> String { "blk.\(layer).attn_qkv.weight" }
    static func queryNorm(_ layer: Int) -> String { "blk.\(layer).attn_q_norm.weight" }
    static func keyNorm(_ layer: Int) -> String { "blk.\(layer).attn_k_norm.weight" }
    static func attentionOutput(_ layer: Int) -> String { "blk.\(layer).attn_output.weight" }
    static func postAttentionNorm(_ layer: Int) -> String { "blk.\(layer).post_attention_norm.weight" }
    static func feedForwardNorm(_ layer: Int) -> String { "blk.\(layer).ffn_norm.weight" }
    static func gate(_ layer: Int) -> String { "blk.\(layer).ffn_gate.weight" }
    static func up(_ layer: Int) -> String { "blk.\(layer).ffn_up.weight" }
    static func down(_ layer: Int) -> String { "blk.\(layer).ffn_down.weight" }
    static func postFeedForwardNorm(_ layer: Int) -> String { "blk.\(layer).post_ffw_norm.weight" }
}
