/// The operands of `y = x · Wᵀ` for int8 weights and int8 activations: integer dot products of
/// 4 bytes per 32-bit lane (`vpdpbusd` on AVX-512 VNNI, `vpmaddubsw` + `vpmaddwd` on AVX2), the
/// way ggml multiplies quantized matrices.
///
/// Weights come in panels of 16 outputs, per group of 16 or 32 inputs (one weight scale, and
/// with offsets one weight offset, per output and group): `q [groupSize / 4][16][4] UInt8`
/// (the weight plus the level's `KernelSet.int8DotWeightBias`, four consecutive inputs of one
/// output per 32-bit lane), `scale [16] Float`, then `offset [16] Float` if the matrix has
/// offsets.
///
/// Activations come quantized per row and group of 32 (`ActivationRows`). Each group's integer
/// sum Σ w·q is exact at every level (with the +128 bias, the sum starts at −128 · Σ q); each
/// output is then, group after group in order,
/// `acc = fma(Float(Σ w·q) · scaleᵂ, scaleˣ, acc)` and, with offsets,
/// `acc = fma(offsetᵂ, scaleˣ · Σ q, acc)`: the same chain for a row whatever the tile it lands
/// in, so results do not depend on the batch.
public struct Int8DotOperands: @unchecked Sendable {
    /// Quantized activations, `rows × columns`, with per-group values.
    public struct ActivationRows {
        public let quants: UnsafePointer<Int8>
        /// Scale of each row's groups of 32: `[rows][columns / 32]`.
        public let scales: UnsafePointer<Float>
        /// −128 · Σ quants of each row's groups of 16: `[rows][columns / 16]`.
        public let corrections16: UnsafePointer<Int32>
        /// The same per group of 32: `[rows][columns / 32]`.
        public let corrections32: UnsafePointer<Int32>
        /// scale · Σ quants of each row's groups of 32 (what an offset multiplies).
        public let sums: UnsafePointer<Float>

        public init(quants: UnsafePointer<Int8>, scales: UnsafePointer<Float>, corrections16: UnsafePointer<Int32>,
                    corrections32: UnsafePointer<Int32>, sums: UnsafePointer<Float>) {
            self.quants = quants
            self.scales = scales
            self.corrections16 = corrections16
            self.corrections32 = corrections32
            self.sums = sums
        }
    }

    public let weights: UnsafeRawPointer
    public let panelBytes: Int
    /// Outputs (rows of W); the last panel may hold fewer than 16.
    public let outputs: Int
    public let columns: Int
    public let groupSize: Int
    public let hasOffsets: Bool
    public let x: ActivationRows
    public let y: UnsafeMutablePointer<Float>
    public let yStride: Int
    /// What is known of the weights' range: each is `s − zeroPoint` for an unsigned stored quant
    /// `s < 2^bits` (panels unpacked from Q4_0 … Q6_K), or nil (Q8_0, the int8 repack). With a
    /// range, the quant bytes of `weights` are the stored quants `s` themselves (not `s −
    /// zeroPoint`): the level multiplies them as unsigned bytes and adds products in 16 bits over
    /// several quads before widening, fewer instructions for the same exact integer sum Σ w·q.
    public let quantRange: QuantRange?

    /// Stored quants `s` in `0..<2^bits` and the weight `s − zeroPoint` they stand for.
    public struct QuantRange: Sendable, Equatable {
        /// 4, 5 or 6.
        public let bits: Int
        /// 0 (Q4_1, Q5_1, Q4_K, Q5_K), 8 (Q4_0), 16 (Q5_0) or 32 (Q6_K).
        public let zeroPoint: Int

        public init(bits: Int, zeroPoint: Int) {
            precondition(bits >= 4 && bits <= 6, "4 to 6 bits")
            precondition(zeroPoint == 0 || zeroPoint == 8 || zeroPoint == 16 || zeroPoint == 32, "a zero point of 0, 8, 16 or 32")
            self.bits = bits
            self.zeroPoint = zeroPoint
        }
    }

    public init(weights: UnsafeRawPointer, panelBytes: Int, outputs: Int, columns: Int, groupSize: Int, hasOffsets: Bool,
                x: ActivationRows, y: UnsafeMutablePointer<Float>, yStride: Int, quantRange: QuantRange? = nil) {
        precondition(groupSize == 32 || (groupSize == 16 && !hasOffsets), "groups of 32, or of 16 without offsets")
        precondition(columns % 32 == 0)
        self.weights = weights
        self.panelBytes = panelBytes
        self.outputs = outputs
        self.columns = columns
        self.groupSize = groupSize
        self.hasOffsets = hasOffsets
        self.x = x
        self.y = y
        self.yStride = yStride
        self.quantRange = quantRange
    }

    /// Bytes of one group of inputs in a panel.
    public static func groupBytes(groupSize: Int, hasOffsets: Bool) -> Int {
        groupSize * 16 + 64 + (hasOffsets ? 64 : 0)
    }
}
