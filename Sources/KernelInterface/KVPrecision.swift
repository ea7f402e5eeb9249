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

    /// What the engine and every command use when `--kv-type` is not given: f16, as llama.cpp's
    /// cache, picked by measurement: it costs perplexity within 0.1% of f32 on the default
    /// model and on Qwen2.5 Coder 0.5B, measured as the paired change over 512-token windows with
    /// its standard error on a text long enough to resolve 0.1% (the first 290 KB of The Rust
    /// Programming Language, 70,000-77,000 tokens: Gemma 3 270M +0.014% ± 0.050%, Qwen +0.017% ±
    /// 0.022%). Shorter texts swing by about 0.1% under any rounding (GPL-3: Qwen +0.20% ± 0.14%);
    /// the README's "KV cache precision" has the figures. It halves KV memory and the bytes
    /// decode attention reads (long prompts: attention 29-30% of a step against 32%). The
    /// reference tests against llama.cpp's f32 dumps ask for f32.
    public static let `default`: KVPrecision = .f16

    public var description: String { rawValue }
}
