/// A weight matrix kept in its GGUF blocks' bits, about the file's size in memory, for the
/// int8 products: for a few rows of activations (decoding) the kernels multiply a panel straight
/// from its bits (`BlockDotProduct`); for more, they unpack two panels at a time to the
/// `Int8DotOperands` layout in a per-thread buffer (L2) and multiply those. Either way every
/// product is bit for bit the one the int8 repack (`PanelMatrix.Kind.int8Dot`) gives. (The
/// owner is `PackedMatrix` in `Kernels`.)
///
/// Rows (outputs) come in panels of 16, each panel all of one `Format` (stacked tensors may
/// differ per panel). A panel is a sequence of units of `Format.unitColumns` columns; every
/// 32 columns of a unit keep their quants as 4-bit `nibbles [4][16][4] UInt8` (byte
/// `[j][lane][b]` holds column `4j + b` of row `lane` in its low nibble and column
/// `16 + 4j + b` in its high nibble: one 64-byte vector per two quads of the int8 layout),
/// then, for 5-bit quants, `high [16][4] UInt8` (bit `j` of byte `[lane][b]` is bit 4 of
/// column `4j + b`), for 6-bit quants `high [2][16][4] UInt8` (bits `2k, 2k + 1` of byte
/// `[t][lane][b]` are bits 4–5 of column `4(4t + k) + b`). Q8_0 keeps its signed bytes as
/// `q [8][16][4] Int8` instead. Quants are the file's unsigned values (Q4_0 q + 8, Q5_0 q + 16,
/// Q6_K q + 32; Q8_0 signed).
///
/// Scale fields, per unit, after the quants (f16 = the file's IEEE half bits, per row):
/// - Q8_0, Q4_0, Q5_0: `d [16] f16`; Q4_1, Q5_1: `d [16] f16`, `m [16] f16`;
/// - Q4_K, Q5_K: `scale [8][16] UInt8`, `min [8][16] UInt8` (the 6-bit fields), `d [16] f16`,
///   `dmin [16] f16`; Q6_K: `scale [16][16] Int8`, `d [16] f16`.
///
/// Unpacked, the weight scale and offset of a group are what `Dequantize.unpackBlock` gives:
/// `d`, `m`; `d · scale`, `−(dmin · min)`; `d · scale` (Q6_K); offsets −0.0 for the formats
/// without one.
public struct BlockPanelMatrix: @unchecked Sendable {
    /// The GGUF block formats this layout keeps (ggml's names).
    public enum Format: UInt8, Sendable, CaseIterable {
        case q8_0, q4_0, q4_1, q5_0, q5_1, q4_K, q5_K, q6_K

        /// Columns per unit: one GGUF block.
        public var unitColumns: Int {
            switch self {
            case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1: return 32
            case .q4_K, .q5_K, .q6_K: return 256
            }
        }

        /// Quant bytes of 32 columns of a panel (nibbles and high bits, or Q8_0's bytes).
        public var quantBytes: Int {
            switch self {
            case .q8_0: return 512
            case .q4_0, .q4_1, .q4_K: return 256
            case .q5_0, .q5_1, .q5_K: return 320
            case .q6_K: return 384
            }
        }

        /// Bytes of the scale fields of one unit of a panel.
        public var scaleBytes: Int {
            switch self {
            case .q8_0, .q4_0, .q5_0: return 32
            case .q4_1, .q5_1: return 64
            case .q4_K, .q5_K: return 320
            case .q6_K: return 288
            }
        }

        /// Bytes of one unit of a panel (16 rows × `unitColumns`).
        public var unitBytes: Int { unitColumns / 32 * quantBytes + scaleBytes }

        /// High bits per quant kept apart from the nibbles: 0, 1 (5-bit quants) or 2 (Q6_K).
        public var highBits: Int {
            switch self {
            case .q5_0, .q5_1, .q5_K: return 1
            case .q6_K: return 2
            default: return 0
            }
        }

        /// What is subtracted from a stored quant to give the signed quant of the int8 layout.
        public var zeroPoint: Int {
            switch self {
            case .q4_0: return 8
            case .q5_0: return 16
            case .q6_K: return 32
            default: return 0
            }
        }

        /// The stored quants' range as the int8 layout holds them with no weight bias: nil for
        /// Q8_0, whose bytes use all 8 bits.
        public var quantRange: Int8DotOperands.QuantRange? {
            self == .q8_0 ? nil : Int8DotOperands.QuantRange(bits: 4 + highBits, zeroPoint: zeroPoint)
        }

        /// Columns per weight scale: 16 for Q6_K, 32 for the others.
        public var scaleColumns: Int { self == .q6_K ? 16 : 32 }

        /// The int8 groups that hold this format's scales exactly: 16 columns for Q6_K, 32 with
        /// offsets for Q4_1, Q5_1, Q4_K and Q5_K, else 32.
        public var groups: Int8Groups { Int8Groups(size: scaleColumns, hasOffsets: hasOffsets) }

        /// Whether groups carry an offset (`m` or `−dmin · min`).
        public var hasOffsets: Bool {
            switch self {
            case .q4_1, .q5_1, .q4_K, .q5_K: return true
            default: return false
            }
        }
    }

    public let storage: UnsafeRawPointer
    /// Each panel's format, `[panels]`.
    public let formats: UnsafePointer<Format>
    /// Each panel's first byte in `storage`, `[panels]`.
    public let offsets: UnsafePointer<Int>
    /// Outputs (N); the last panel may hold fewer than 16.
    public let rows: Int
    /// Inputs (K), a multiple of every panel format's `unitColumns`.
    public let columns: Int
    /// The int8 groups every panel is multiplied in (see `Int8DotOperands`): 32 columns, or 16
    /// when a panel is Q6_K (then no format has offsets). Nil when the formats share no shape
    /// (Q6_K stacked with a format that has offsets, as Q4_K_M files stack attn_v with attn_q
    /// and attn_k): then each panel takes its own format's (`Format.groups`), and every output
    /// is exactly what its tensor alone would give.
    public let sharedGroups: Int8Groups?

    public init(storage: UnsafeRawPointer, formats: UnsafePointer<Format>, offsets: UnsafePointer<Int>, rows: Int,
                columns: Int, sharedGroups: Int8Groups?) {
        self.storage = storage
        self.formats = formats
        self.offsets = offsets
        self.rows = rows
        self.columns = columns
        self.sharedGroups = sharedGroups
    }

    /// The int8 groups panel `p` is multiplied in.
    @inline(__always)
    public func groups(ofPanel p: Int) -> Int8Groups { sharedGroups ?? formats[p].groups }

    /// Bytes of one panel unpacked to the `Int8DotOperands` layout (the most of any panel's).
    public var unpackedPanelBytes: Int {
        if let sharedGroups { return sharedGroups.panelBytes(columns: columns) }
        // Every format's groups are one of three shapes; 32 without offsets takes the fewest bytes.
        return max(Int8Groups(size: 16, hasOffsets: false).panelBytes(columns: columns),
                   Int8Groups(size: 32, hasOffsets: true).panelBytes(columns: columns))
    }
}

/// The shape of a panel's int8 groups (see `Int8DotOperands`): `size` columns (32, or 16
/// without offsets) with a weight scale each, and an offset each when `hasOffsets`.
public struct Int8Groups: Equatable, Sendable, CustomStringConvertible {
    public let size: Int
    public let hasOffsets: Bool

    public init(size: Int, hasOffsets: Bool) {
        precondition(size == 32 || (size == 16 && !hasOffsets), "groups of 32, or of 16 without offsets")
        self.size = size
        self.hasOffsets = hasOffsets
    }

    /// Bytes of a panel of 16 rows × `columns` in this shape.
    public func panelBytes(columns: Int) -> Int {
        columns / size * Int8DotOperands.groupBytes(groupSize: size, hasOffsets: hasOffsets)
    }

    public var description: String { "int8 groups of \(size)\(hasOffsets ? " with offsets" : "")" }
}
