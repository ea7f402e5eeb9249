/// Where a packed weight matrix lives and how its panels are laid out, for the kernels that
/// read it (the owner is `PackedMatrix` in `Kernels`). Rows (outputs) come in panels of 16.
///
/// Panel layouts, per group of columns:
/// - `.int8`: `q [groupSize][16] Int8`, `scale [16] Float`, (`offset [16] Float`);
/// - `.int8Dot`: `q [groupSize / 4][16][4] UInt8` (the quant plus the level's
///   `KernelSet.int8DotWeightBias`, four consecutive columns of one row per 32-bit lane),
///   `scale [16] Float`, (`offset [16] Float`);
/// - `.float32`: the whole row is one group, `w [columns][16] Float`.
public struct PanelMatrix: @unchecked Sendable {
    public enum Kind: Sendable, Equatable { case int8, int8Dot, float32 }

    public let storage: UnsafeRawPointer
    public let kind: Kind
    /// Outputs (N).
    public let rows: Int
    /// Inputs (K).
    public let columns: Int
    public let panelBytes: Int
    /// Columns per group (`columns` for `.float32`).
    public let groupSize: Int
    public let hasOffsets: Bool

    public init(storage: UnsafeRawPointer, kind: Kind, rows: Int, columns: Int, panelBytes: Int, groupSize: Int,
                hasOffsets: Bool) {
        self.storage = storage
        self.kind = kind
        self.rows = rows
        self.columns = columns
        self.panelBytes = panelBytes
        self.groupSize = groupSize
        self.hasOffsets = hasOffsets
    }

    /// Bytes of one group of columns in a panel (`.int8`, `.int8Dot`); 0 for `.float32`.
    public var groupBytes: Int {
        kind == .float32 ? 0 : Int8DotOperands.groupBytes(groupSize: groupSize, hasOffsets: hasOffsets)
    }
}
