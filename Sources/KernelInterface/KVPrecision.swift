/// The number format of keys and values in the paged KV cache.
///
/// `f16` (IEEE 754 binary16, as llama.cpp's default `--cache-type-k/v f16`) halves KV memory
/// and the bytes attention reads per position; every value is rounded to nearest-even once,
/// when it is stored, and widened back to f32 exactly when attention reads it, so all arithmetic
/// stays f32. `f32` keeps the keys and values the model computed bit for bit (the reference
/// tests against llama.cpp's f32 dumps use it).
public enum KVPrecision: String, Sendable, CaseIterable, CustomStringConvertible {
    case f16
    case f32

    /// Bytes of one stored key or value element.
    @inlinable public var elementBytes: Int {
        switch self {
        case .f16: return 2
        case .f32: return 4
        }
    }

    /// What the engine and every command use when `--kv-type` is not given: f32, because f16
    /// moved the perplexity of GPL-3 (ctx 512) of Qwen2.5 Coder 0.5B by +0.20% (5.3033 →
    /// 5.3138), more than the 0.1% a default may cost; Gemma 3 270M's moved by +0.008%
    /// (13.8812 → 13.8823). f16 stays one flag away for twice the tokens per byte. The +0.20%
    /// is rounding, not a fault of this path: llama.cpp's f32 → f16 cache moves the same file
    /// by +0.25% (`llama-perplexity -fa off`, 5.3088 → 5.3220), and with f32 activations ours
    /// moves by +0.03% (5.3038 → 5.3054). On longer texts each model still has one where f16
    /// costs over 0.1%: Gemma +0.12% on seven license texts (Qwen −0.04% there; on Python code
    /// Gemma +0.03%, Qwen −0.01%); the README's "KV cache precision" has the figures.
    public static let `default`: KVPrecision = .f32

    public var description: String { rawValue }
}
