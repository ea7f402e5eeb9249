/// Integer-quantized GGUF tensors into `PackedMatrix`: kept in their blocks' bits
/// (`keepingBlocks`, about the file's size) where the int8 products run, else repacked to int8
/// quants plus float scales (`repacking`). Both give the same integers, scales and offsets
/// (`Dequantize.unpackBlock`), so the products are the same bit for bit.
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
    static func blockFormat(_ type: TensorType) -> BlockPanelMatrix.Format? {
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
    /// integer blocks, Q6_K is stacked with a type that has offsets (its groups of 16 then take
    /// f32 activations), a part other than the last does not end on a panel of 16 rows, or
    /// every part is Q8_0 (whose int8 repack is within 6% of its file size and needs no
    /// unpacking).
    public static func keepingBlocks(columns: Int, parts: [BlockRows]) -> PackedMatrix? {
        guard int8DotAvailable, !parts.isEmpty, columns % 32 == 0,
              let (groupSize, hasOffsets) = integerGroups(parts.map(\.type)).map({ ($0.groupSize, $0.hasOffsets) }),
              groupSize == 32 || !hasOffsets,
              parts.contains(where: { $0.type != .q8_0 }),
              parts.dropLast().allSatisfy({ $0.rows % 16 == 0 }),
              parts.allSatisfy({ columns % $0.type.blockElements == 0 && $0.rows > 0 })
        else { return nil }
        var panelFormats: [BlockPanelMatrix.Format] = []
        for part in parts {
            panelFormats += Array(repeating: blockFormat(part.type)!, count: (part.rows + 15) / 16)
        }
        let rows = parts.reduce(0) { $0 + $1.rows }
        let matrix = PackedMatrix(rows: rows, columns: columns, groupSize: groupSize, hasOffsets: hasOffsets,
                                  panelFormats: panelFormats)
        let quants = UnsafeMutablePointer<Int8>.allocate(capacity: 256)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: 16)
        let offsets = UnsafeMutablePointer<Float>.allocate(capacity: 16)
        defer { quants.deallocate(); scales.deallocate(); offsets.deallocate() }
        var row = 0
        for part in parts {
            let format = blockFormat(part.type)!
            let rowBytes = part.type.byteCount(elements: columns)!
            let unitPanelBytes = format.unitBytes
            for r in 0..<part.rows {
                let panel = (row + r) / 16, lane = (row + r) % 16
                let base = matrix.storage + matrix.blockOffsets![panel]
                let source = part.data + r * rowBytes
                for b in 0..<columns / part.type.blockElements {
                    let block = source + b * part.type.blockBytes
                    Dequantize.unpackBlock(part.type, block, quants: quants, scales: scales, offsets: offsets)
                    storeBlock(format, block, quants: quants, lane: lane, into: base + b * unitPanelBytes)
                }
            }
            row += part.rows
        }
        return matrix
    }

    /// One row's block into lane `lane` of a panel's unit (layout: `BlockPanelMatrix`).
    private static func storeBlock(_ format: BlockPanelMatrix.Format, _ block: UnsafeRawPointer,
                                   quants: UnsafePointer<Int8>, lane: Int, into unit: UnsafeMutableRawPointer) {
        let bytes = unit.assumingMemoryBound(to: UInt8.self)
        let zero = format.zeroPoint
        for c in 0..<format.unitColumns / 32 {
            let q = bytes + c * format.quantBytes
            for column in 0..<32 {
                let value = quants[32 * c + column]
                let quad = column >> 2, position = lane &* 4 &+ column & 3
                if format == .q8_0 {
                    q[quad &* 64 &+ position] = UInt8(bitPattern: value)
                    continue
                }
                let stored = UInt8(truncatingIfNeeded: Int(value) &+ zero)
                q[(quad & 3) &* 64 &+ position] |= quad < 4 ? stored & 0x0F : (stored & 0x0F) << 4
                switch format.highBits {
                case 1: q[256 &+ position] |= ((stored >> 4) & 1) << UInt8(quad)
                case 2: q[256 &+ (quad >> 2) &* 64 &+ position] |= ((stored >> 4) & 3) << UInt8(2 * (quad & 3))
                default: break
                }
            }
        }
        let header = unit + format.unitColumns / 32 * format.quantBytes
        func copyHalf(from offset: Int, to destination: Int) {
            header.storeBytes(of: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self),
                              toByteOffset: destination + 2 * lane, as: UInt16.self)
        }
        switch format {
        case .q8_0, .q4_0, .q5_0:
            copyHalf(from: 0, to: 0)
        case .q4_1, .q5_1:
            copyHalf(from: 0, to: 0)
            copyHalf(from: 2, to: 32)
        case .q4_K, .q5_K:
            for j in 0..<8 {
                let (scale, min) = Dequantize.scaleAndMin(j, block + 4)
                header.storeBytes(of: scale, toByteOffset: 16 * j + lane, as: UInt8.self)
                header.storeBytes(of: min, toByteOffset: 128 + 16 * j + lane, as: UInt8.self)
            }
            copyHalf(from: 0, to: 256)
            copyHalf(from: 2, to: 288)
        case .q6_K:
            for s in 0..<16 {
                header.storeBytes(of: block.load(fromByteOffset: 192 + s, as: UInt8.self), toByteOffset: 16 * s + lane,
                                  as: UInt8.self)
            }
            copyHalf(from: 208, to: 256)
        }
    }

    /// The tensors `parts`, stacked by rows, repacked to int8 quants plus float scales (and
    /// offsets) per group (`.int8Dot` with `int8Activations` where available, else `.int8`).
    /// Nil when a type has no integer blocks.
    public static func repacking(columns: Int, parts: [BlockRows], int8Activations: Bool) -> PackedMatrix? {
        guard let groups = integerGroups(parts.map(\.type)) else { return nil }
        let (groupSize, hasOffsets) = groups
        var partOfRow: [(part: Int, row: Int)] = []
        for (index, part) in parts.enumerated() { partOfRow += (0..<part.rows).map { (index, $0) } }
        let quants = UnsafeMutablePointer<Int8>.allocate(capacity: 256)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: 16)
        let offsets = UnsafeMutablePointer<Float>.allocate(capacity: 16)
        defer { quants.deallocate(); scales.deallocate(); offsets.deallocate() }
        return PackedMatrix(rows: partOfRow.count, columns: columns, groupSize: groupSize, hasOffsets: hasOffsets,
                            int8Activations: int8Activations) { row, q, s, o in
            let (index, r) = partOfRow[row]
            let type = parts[index].type
            let source = parts[index].data + r * type.byteCount(elements: columns)!
            let blockElements = type.blockElements
            for b in 0..<columns / blockElements {
                let sub = Dequantize.unpackBlock(type, source + b * type.blockBytes,
                                                 quants: quants, scales: scales, offsets: offsets)
                let base = b * blockElements
                (q + base).update(from: quants, count: blockElements)
                // A block's sub-blocks (16 or 32 values) map onto groups of `groupSize`.
                for g in 0..<blockElements / groupSize {
                    let subBlock = g * groupSize / sub
                    s[base / groupSize + g] = scales[subBlock]
                    o[base / groupSize + g] = offsets[subBlock]
                }
            }
        }
    }
}
