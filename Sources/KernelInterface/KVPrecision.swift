/// The number format of keys and values in the paged KV cache.
///
/// `f16` (IEEE 754 binary16, as llama.cpp's default `--cache-type-k/v f16`) halves KV memory
/// and the bytes attention reads per position; every value is rounded to nearest-even once,
/// when it is stored, and widened back to f32 exactly when attention reads it, so all arithmetic
/// stays f32. `f32` keeps the keys and values the model computed bit for bit (the reference
/// tests against llama.cpp's f32 dumps use it).
///
/// `bf16` (bfloat16: f32's sign and exponent and its top 7 fraction bits) also halves KV
/// memory and is the format of AVX-512 BF16's `vdpbf16ps`, which multiplies and adds two pairs
/// of bf16 per f32 lane: with it attention's scores and weighted sums take half the
/// instructions of f32 FMAs. Keys and values are rounded to nearest even once when stored
/// (subnormals to zero, as the instruction reads them), and attention rounds the queries and the
/// softmax weights to bf16 too; every product is exact in f32 and each pair is added to its sum
/// as two f32 additions, odd element first (Intel SDM, `VDPBF16PS`). CPUs without the
/// instruction compute the same two fused multiply-adds (`BFloat16Bits`, `PairAttention`).
public enum KVPrecision: String, Sendable, CaseIterable, CustomStringConvertible {
    case f16
    case f32
    case bf16

    /// Bytes of one stored key or value element.
    @inlinable public var elementBytes: Int {
        switch self {
        case .f16, .bf16: return 2
        case .f32: return 4
        }
    }

    /// What the engine and every command use when `--kv-type` is not given
    /// (`KVPrecision.default`, from the selected kernel level): bf16 where attention's pair
    /// products run on `vdpbf16ps`, else f16; each picked by measurement.
    ///
    /// Both cost perplexity within 0.1% of f32 on the default model and on Qwen2.5 Coder 0.5B,
    /// measured on a text long enough to resolve 0.1% (the first 290 KB of The Rust Programming
    /// Language, 70,000-77,000 tokens; paired change over 512-token windows with its standard
    /// error): f16 Gemma 3 270M +0.014% ± 0.050%, Qwen +0.017% ± 0.022%; bf16 Gemma 11.3644 → 11.3641
    /// (−0.003% ± 0.047%), Qwen 7.1205 → 7.1226 (+0.029% ± 0.028%).
    /// Shorter texts swing by about 0.1% under any rounding (GPL-3: Qwen f16 +0.20% ± 0.14%); the
    /// README's "KV cache precision" has the figures. Both halve KV memory and the bytes decode
    /// attention reads; bf16's pair products halve attention's instructions too (long prompts on
    /// a Zen 5: attention 23% of a step against f16's 30%), but emulated (no AVX-512 BF16) they
    /// are slower than f16's widening loads. The reference tests against llama.cpp's f32 dumps
    /// ask for f32.
    public static func preferred(pairProductInstruction: Bool) -> KVPrecision {
        pairProductInstruction ? .bf16 : .f16
    }

    public var description: String { rawValue }
}
