/// The numeric inner loops of one CPU level: every function here runs inside a module compiled
/// for that level's instructions (`KernelsAVX512`, `KernelsAVX2`), from the same source files
/// (Sources/KernelCode), so the arithmetic is written once and each level gets its own machine
/// code. `Kernels` picks one set at start-up (`KernelLevel`) and calls it; it owns the memory,
/// the thread pool and the public API, and never runs SIMD code of its own.
///
/// Every function is batch-invariant: a row's result depends on that row's inputs alone, never
/// on how many rows share the call or which thread runs them.
public protocol KernelSet: Sendable {
    /// Whether the int8-activation matrix product (`multiplyInt8Dot`) runs on this CPU.
    static var int8DotAvailable: Bool { get }
    /// What is added to a signed weight quant before it is stored for `multiplyInt8Dot`: 128 for
    /// `vpdpbusd` (unsigned × signed bytes), 0 for the sign trick of `vpmaddubsw`.
    static var int8DotWeightBias: Int { get }
    /// Up to this many activation rows, `multiplyBlocks` multiplies panels straight from their
    /// bits, streaming them from memory; from more on it unpacks them.
    static var blockInRegisterRows: Int { get }

    /// `y = x · Wᵀ` for the panels `panels` of an `.int8` or `.float32` matrix, rows `0..<rowCount` of x.
    static func multiplyPanels(_ matrix: PanelMatrix, x: UnsafePointer<Float>, xStride: Int, rowCount: Int,
                               y: UnsafeMutablePointer<Float>, yStride: Int, panels: Range<Int>)
    /// Rows `rows` of x quantized to int8 per group of 32 (see `Int8DotOperands.ActivationRows`).
    static func quantizeActivations(_ into: Int8DotOperands.ActivationRows, x: UnsafePointer<Float>, stride: Int,
                                    columns: Int, rows: Range<Int>)
    /// `y = x · Wᵀ` with int8 activations, for panels `panels` and activation rows `rows`.
    static func multiplyInt8Dot(_ operands: Int8DotOperands, panels: Range<Int>, rows: Range<Int>)
    /// `y = x · Wᵀ` for a matrix kept in its GGUF blocks, panels `panels` (`y` holds all of the
    /// matrix's outputs), activation rows `rows` quantized as for `multiplyInt8Dot`: each pair
    /// of panels is unpacked to the int8 layout, then multiplied as `multiplyInt8Dot` would.
    static func multiplyBlocks(_ matrix: BlockPanelMatrix, x: Int8DotOperands.ActivationRows,
                               y: UnsafeMutablePointer<Float>, yStride: Int, panels: Range<Int>, rows: Range<Int>)
    /// Panel `panel` of a block matrix in the int8 layout of `Int8DotOperands` (with this
    /// level's `int8DotWeightBias`), `matrix.unpackedPanelBytes` bytes.
    static func unpackBlockPanel(_ matrix: BlockPanelMatrix, panel: Int, into out: UnsafeMutableRawPointer)

    /// Causal paged attention of one tile (see `PagedAttention.attend`).
    static func attend(_ tile: AttentionTile)
    /// Whether this level's bf16 attention uses AVX-512 BF16's `vdpbf16ps` on this CPU.
    static var pairProductInstruction: Bool { get }
    /// bf16 attention with the pair products emulated even where the CPU has `vdpbf16ps`: the
    /// same bits but for sums below 2⁻¹²⁶ (tests compare the two).
    static func attendEmulatingPairProducts(_ tile: AttentionTile)
    /// out[i] = x[i] rounded to bf16 (`BFloat16Bits.rounded`), for KV elements.
    static func convertToBFloat16(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<UInt16>)
    /// out[i] = x[i] rounded to f16 (nearest even), for KV elements.
    static func convertToHalf(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float16>)
    /// out[i] = x[i] widened to f32 (exact).
    static func convertFromHalf(_ x: UnsafePointer<Float16>, count: Int, into out: UnsafeMutablePointer<Float>)

    /// out = x / sqrt(mean(x²) + ε) · weight, for one row of `count` floats.
    static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, epsilon: Float,
                        into out: UnsafeMutablePointer<Float>)
    /// Rotates `heads` heads of `dimensions` floats (`headStride` apart) by the angles whose
    /// cosines and sines are given (`dimensions / 2` each).
    static func rotate(_ x: UnsafeMutablePointer<Float>, heads: Int, headStride: Int, dimensions: Int,
                       neoxPairing: Bool, cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>)

    /// out[i] = gelu(gate[i]) · up[i] (tanh approximation, as ggml).
    static func geluGated(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                          into out: UnsafeMutablePointer<Float>)
    /// out[i] = silu(gate[i]) · up[i].
    static func siluGated(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                          into out: UnsafeMutablePointer<Float>)
    /// x[i] = exp(x[i] − shift) in place; returns the sum of the results.
    static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float
    /// x[i] = tanh(x[i] / cap) · cap (Gemma's logit soft-capping).
    static func softCap(_ x: UnsafeMutablePointer<Float>, count: Int, cap: Float)
    /// x[i] *= factor.
    static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float)
    /// y[i] += x[i].
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int)

    /// The largest of x[0..<count] (count ≥ 1; −∞ for a row of −∞).
    static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float
    /// The index of the first element equal to the largest (0 for a row of NaN).
    static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int
    /// Σ exp((x[i] − maximum) · scale) over `start..<end`, with the sampler's `exp`.
    static func sumExp(_ x: UnsafePointer<Float>, start: Int, end: Int, maximum: Float, scale: Float) -> Double
    /// Σ exp(x[i] − maximum) in double precision (log-softmax denominators).
    static func sumExpDouble(_ x: UnsafePointer<Float>, count: Int, maximum: Float) -> Double
    /// From `start`, in steps of 16, the start of the first block of 16 holding an element
    /// `> threshold`; when none, where the tail after the last whole block begins.
    static func nextBlock(_ x: UnsafePointer<Float>, count: Int, start: Int, above threshold: Float) -> Int
    /// The same for `(x[i] − maximum) · scale ≥ cutoff`.
    static func nextBlock(_ x: UnsafePointer<Float>, count: Int, start: Int, maximum: Float, scale: Float,
                          atLeast cutoff: Float) -> Int
}
