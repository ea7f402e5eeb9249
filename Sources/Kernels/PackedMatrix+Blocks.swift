/// Integer-quantized GGUF tensors into `PackedMatrix`: kept in their blocks' bits
/// (`keepingBlocks`, about the file's size; packed by `BlockPanelFill`) where the int8 products
/// run, else repacked to int8 quants plus float scales (`repacking`). Both give the same
/// integers, scales and offsets (`Dequantize.unpackBlock`), so the products are the same bit
/// for bit.
extension PackedMatrix {
    /// Rows of one tensor's GGUF blocks, stacked with others into one matrix.
    public struct BlockRows {
        public let type: TensorType
        /// `rows` rows of `type.byteCount(elements: columns)` bytes each.
        public let data: UnsafeRawPointer
        public let rows: Int

        public init(type: TensorType, data: UnsafeRawPointer, rows: Int) {
            self.type = type
            self.data = data
            self.rows = rows
        }
    }

    /// The layout that keeps `type`'s blocks, if any.
    public static func blockFormat(_ type: TensorType) -> BlockPanelMatrix.Format? {
        switch type {
        case .q8_0: return .q8_0
        case .q4_0: return .q4_0
        case .q4_1: return .q4_1
        case .q5_0: return .q5_0
        case .q5_1: return .q5_1
        case .q4_K: return .q4_K
        case .q5_K: return .q5_K
        case .q6_K: return .q6_K
        default: return nil
        }
    }

    /// The int8 groups that hold every one of `types` exactly: 32 columns, or 16 with Q6_K;
    /// offsets with Q4_1, Q5_1, Q4_K or Q5_K. Nil for a type without integer quants.
    public static func integerGroups(_ types: [TensorType]) -> (groupSize: Int, hasOffsets: Bool)? {
        var groupSize = 32
        var hasOffsets = false
        for type in types {
            guard let format = blockFormat(type) else { return nil }
            if format.hasOffsets { hasOffsets = true }
            if format.scaleColumns == 16 { groupSize = 16 }
        }
        return (groupSize, hasOffsets)
    }

    /// The tensors `parts`, stacked by rows, kept in their blocks' bits (`.blocks`), or nil
    /// where that layout does not apply: the level has no int8 products, a type has no
    /// integer blocks, a part other than the last does not end on a panel of 16 rows, or every
    /// part is Q8_0 (whose int8 repack is within 6% of its file size and needs no unpacking).
    /// The panels share the groups that hold every part (`integerGroups`), so the products are
    /// the int8 repack's; where none does (Q6_K stacked with a type that has offsets), each
    /// panel keeps its own type's groups, and each part's outputs are what it gives alone.
    public static func keepingBlocks(columns: Int, parts: [BlockRows]) -> PackedMatrix? {
        guard int8DotAvailable, !parts.isEmpty, columns % 32 == 0,
              let (groupSize, hasOffsets) = integerGroups(parts.map(\.type)).map({ ($0.groupSize, $0.hasOffsets) }),
              parts.contains(where: { $0.type != .q8_0 }),
              parts.dropLast().allSatisfy({ $0.rows % 16 == 0 }),
              parts.allSatisfy({ columns % $0.type.blockElements == 0 && $0.rows > 0 })
        else { return nil }
        let sharedGroups = groupSize == 32 || !hasOffsets ? Int8Groups(size: groupSize, hasOffsets: hasOffsets) : nil
        var panelFormats: [BlockPanelMatrix.Format] = []
        for part in parts {
            panelFormats += Array(repeating: blockFormat(part.type)!, count: (part.rows + 15) / 16)
        }
        let rows = parts.reduce(0) { $0 + $1.rows }
        let matrix = PackedMatrix(rows: rows, columns: columns, sharedGroups: sharedGroups, panelFormats: panelFormats)
        BlockPanelFill(matrix: matrix, parts: parts, columns: columns).run(pool: .shared)
        return matrix
    }
}

extension PackedMatrix {
    /// The tensors `parts`, stacked by rows, repacked to int8 quants plus float scales (and
    /// offsets) per group (`.int8Dot` with `int8Activations` where available, else `.int8`),
    /// rows in parallel on the shared pool. Nil when a type has no integer blocks.
    public static func repacking(columns: Int, parts: [BlockRows], int8Activations: Bool) -> PackedMatrix? {
        guard let groups = integerGroups(parts.map(\.type)) else { return nil }
        let (groupSize, hasOffsets) = groups
        var partOfRow: [(part: Int, row: Int)] = []
        for (index, part) in parts.enumerated() { partOfRow += (0..<part.rows).map { (index, $0) } }
        return PackedMatrix(rows: partOfRow.count, columns: columns, groupSize: groupSize, hasOffsets: hasOffsets,
                            int8Activations: int8Activations, pool: .shared) { row, q, s, o in
            let (index, r) = partOfRow[row]
            let type = parts[index].type
            let source = parts[index].data + r * type.byteCount(elements: columns)!
            let blockElements = type.blockElements
            // The quants go straight to the row; scales and offsets per sub-block (16 or 32
            // values) to a block's worth of scratch, then onto groups of `groupSize`.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { scratch in
                let scales = scratch.baseAddress!, offsets = scales + 16
                for b in 0..<columns / blockElements {
                    let base = b * blockElements
                    let sub = Dequantize.unpackBlock(type, source + b * type.blockBytes,
                                                     quants: q + base, scales: scales, offsets: offsets)
                    for g in 0..<blockElements / groupSize {
                        let subBlock = g * groupSize / sub
                        s[base / groupSize + g] = scales[subBlock]
                        o[base / groupSize + g] = offsets[subBlock]
                    }
                }
            }
        }
    }
}
