/// A weight matrix W [rows × columns] prepared once at load for `y = x · Wᵀ` over a batch.
///
/// This is the one type behind which the weight format lives. Rows (outputs) are grouped in
/// panels of 16, so the micro-kernel reads 16 outputs' weights for one input as one vector:
///
/// - `.int8`: what quantized GGUF tensors become. Every weight is `scale · q + offset` (rounded
///   product, then add: bit for bit ggml's dequantized value) with an
///   integer `q` in -128...127 and a scale (and, for Q4_K/Q5_K/Q4_1/Q5_1, an offset) per row and
///   group of 16 or 32 columns — the GGUF block structure, kept exactly (Q8_0, Q4_0, Q5_0 and
///   Q6_K quants fit in int8 unchanged). About 1.1 bytes per weight instead of 4 for F32, which
///   is what decoding one token at a time is bound by.
///   Panel layout, per group: `q [groupSize][16] Int8`, `scale [16] Float`, (`offset [16] Float`).
/// - `.int8Dot`: the same integers, scales and offsets (groups of 32, or of 16 without offsets:
///   every GGUF integer type) laid out for `vpdpbusd`, which multiplies them with activations
///   quantized to int8 per row and group of 32, 64 multiply-adds per instruction, as ggml
///   multiplies quantized matrices. Needs a kernel level with int8 products
///   (`int8DotAvailable`: AVX2, or AVX-512 with VNNI). Panel layout, per group:
///   `q [groupSize / 4][16][4] UInt8` (q plus the level's `int8DotWeightBias`; four consecutive
///   columns of one row per 32-bit lane), `scale [16] Float`, (`offset [16] Float`).
/// - `.blocks`: the same integers, scales and offsets as `.int8Dot`, but kept in the bits of
///   their GGUF blocks (`BlockPanelMatrix`: 4.6–8.5 bits per weight, about the file's size
///   instead of 9–10 bits) and unpacked to the `.int8Dot` layout a pair of panels at a time
///   inside the product (or multiplied straight from the bits for a few rows); results are bit
///   for bit `.int8Dot`'s. Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K tensors (and Q8_0
///   stacked with them) load this way where `.int8Dot` is available (`keepingBlocks`). A stack
///   of Q6_K with a format that has offsets, which no one `.int8Dot` group shape holds, keeps
///   each tensor's own groups panel by panel.
/// - `.float32`: for F32/F16/BF16 tensors. Panel layout: `w [columns][16] Float`.
///
/// Batch invariance: every output `y[m, n]` is one fused multiply-add chain over the columns in
/// order, `acc = fma(x[m, k], w[n, k], acc)`, whatever the number of rows in the batch, the
/// tile a row lands in, or the thread that runs it. So a sequence's numbers never depend on its
/// neighbours (OpenBLAS's sgemm does not give this: its rows change with their position in a
/// tile, measured).
public final class PackedMatrix: @unchecked Sendable {
    public enum Format: Equatable, Sendable, CustomStringConvertible {
        case int8(groupSize: Int, hasOffsets: Bool)
        case int8Dot(groupSize: Int, hasOffsets: Bool)
        /// `sharedGroups` nil: each panel in its own format's groups (`BlockPanelMatrix.sharedGroups`).
        case blocks(sharedGroups: Int8Groups?)
        case float32

        public var description: String {
            switch self {
            case let .int8(groupSize, hasOffsets):
                return "int8 groups of \(groupSize)\(hasOffsets ? " with offsets" : "")"
            case let .int8Dot(groupSize, hasOffsets):
                return "int8 groups of \(groupSize)\(hasOffsets ? " with offsets" : "") × int8 activations"
            case let .blocks(sharedGroups):
                return "GGUF blocks as \(sharedGroups.map { "\($0)" } ?? "each tensor's int8 groups") × int8 activations"
            case .float32: return "f32"
            }
        }
    }

    /// Outputs (N).
    public let rows: Int
    /// Inputs (K).
    public let columns: Int
    public let format: Format
    /// Panels of 16 rows (the last one zero-padded).
    let panelCount: Int
    /// Bytes per panel (0 for `.blocks`, whose panels differ by format).
    let panelBytes: Int
    let storage: UnsafeMutableRawPointer
    /// `.blocks`: each panel's format and first byte.
    let blockFormats: UnsafeMutablePointer<BlockPanelMatrix.Format>?
    let blockOffsets: UnsafeMutablePointer<Int>?
    private let storageBytes: Int

    /// Bytes of packed weights: what the matrix holds in memory.
    public var byteCount: Int { storageBytes }

    /// Whether `multiply` quantizes the activations to int8 (`.int8Dot`, `.blocks`).
    public var takesInt8Activations: Bool {
        switch format {
        case .int8Dot, .blocks: return true
        case .int8, .float32: return false
        }
    }

    /// Bytes per group of columns in a panel (int8 format).
    var groupBytes: Int { panels.groupBytes }

    /// What the kernels read: where the panels are and how they are laid out.
    var panels: PanelMatrix {
        switch format {
        case let .int8(groupSize, hasOffsets):
            return PanelMatrix(storage: storage, kind: .int8, rows: rows, columns: columns, panelBytes: panelBytes,
                               groupSize: groupSize, hasOffsets: hasOffsets)
        case let .int8Dot(groupSize, hasOffsets):
            return PanelMatrix(storage: storage, kind: .int8Dot, rows: rows, columns: columns, panelBytes: panelBytes,
                               groupSize: groupSize, hasOffsets: hasOffsets)
        case .float32:
            return PanelMatrix(storage: storage, kind: .float32, rows: rows, columns: columns, panelBytes: panelBytes,
                               groupSize: columns, hasOffsets: false)
        case .blocks:
            preconditionFailure("block matrices are read through `blockPanels`")
        }
    }

    /// What the kernels read of a `.blocks` matrix.
    var blockPanels: BlockPanelMatrix {
        guard case let .blocks(sharedGroups) = format, let blockFormats, let blockOffsets else {
            preconditionFailure("not a block matrix")
        }
        return BlockPanelMatrix(storage: storage, formats: blockFormats, offsets: blockOffsets, rows: rows,
                                columns: columns, sharedGroups: sharedGroups)
    }

    /// The bias the selected level adds to int8 quants stored for int8 activations.
    private static var weightBias: Int { KernelLevel.active.int8DotWeightBias }

    /// `zeroed: false` leaves the panels for the caller to write, every byte.
    private init(rows: Int, columns: Int, format: Format, zeroed: Bool = true) {
        precondition(rows > 0 && columns > 0)
        self.rows = rows
        self.columns = columns
        self.format = format
        panelCount = (rows + 15) / 16
        switch format {
        case let .int8(groupSize, hasOffsets):
            precondition(groupSize == 16 || groupSize == 32, "int8 groups are 16 or 32 columns")
            precondition(columns % groupSize == 0, "columns must be whole groups")
            panelBytes = columns / groupSize * Int8DotOperands.groupBytes(groupSize: groupSize, hasOffsets: hasOffsets)
        case let .int8Dot(groupSize, hasOffsets):
            precondition(columns % 32 == 0, "columns must be whole groups of 32")
            panelBytes = columns / groupSize * Int8DotOperands.groupBytes(groupSize: groupSize, hasOffsets: hasOffsets)
        case .float32:
            panelBytes = columns * 16 * 4
        case .blocks:
            preconditionFailure("block matrices are made by `init(blockFormats:...)`")
        }
        storageBytes = panelCount * panelBytes
        storage = UnsafeMutableRawPointer.allocate(byteCount: storageBytes, alignment: 64)
        if zeroed { storage.initializeMemory(as: UInt8.self, repeating: 0, count: storageBytes) }
        blockFormats = nil
        blockOffsets = nil
    }

    /// A `.blocks` matrix whose panel `p` has format `panelFormats[p]`, its panels left
    /// uninitialized for the caller to fill, every byte (`BlockPanelFill`): zeroing them here
    /// would touch every page once more, on one thread, at load.
    init(rows: Int, columns: Int, sharedGroups: Int8Groups?, panelFormats: [BlockPanelMatrix.Format]) {
        precondition(rows > 0 && columns > 0 && panelFormats.count == (rows + 15) / 16)
        self.rows = rows
        self.columns = columns
        format = .blocks(sharedGroups: sharedGroups)
        panelCount = panelFormats.count
        panelBytes = 0
        let formats = UnsafeMutablePointer<BlockPanelMatrix.Format>.allocate(capacity: panelCount)
        let offsets = UnsafeMutablePointer<Int>.allocate(capacity: panelCount)
        var total = 0
        for (p, panelFormat) in panelFormats.enumerated() {
            precondition(columns % panelFormat.unitColumns == 0, "columns must be whole \(panelFormat) blocks")
            formats[p] = panelFormat
            offsets[p] = total
            total += columns / panelFormat.unitColumns * panelFormat.unitBytes
        }
        blockFormats = formats
        blockOffsets = offsets
        storageBytes = total
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(total, 64), alignment: 64)
        (storage + total).initializeMemory(as: UInt8.self, repeating: 0, count: max(total, 64) - total)
    }

    deinit {
        storage.deallocate()
        blockFormats?.deallocate()
        blockOffsets?.deallocate()
    }

    /// Packs an integer-quantized matrix. `fill(row, quants, scales, offsets)` writes one row:
    /// `columns` quants and `columns / groupSize` scales and offsets (offsets start at zero and
    /// may be left alone when `hasOffsets` is false).
    ///
    /// With `int8Activations` (where `int8DotAvailable`, for whole groups of 32 columns, and
    /// for groups of 16 only without offsets), the matrix multiplies activations quantized to
    /// int8 (`.int8Dot`); otherwise it multiplies the float activations as they are (`.int8`).
    public convenience init(
        rows: Int, columns: Int, groupSize: Int, hasOffsets: Bool, int8Activations: Bool = false,
        fill: (_ row: Int, _ quants: UnsafeMutablePointer<Int8>, _ scales: UnsafeMutablePointer<Float>,
               _ offsets: UnsafeMutablePointer<Float>) -> Void
    ) {
        self.init(rows: rows, columns: columns, groupSize: groupSize, hasOffsets: hasOffsets,
                  int8Activations: int8Activations)
        packRows(0..<rows, fill: fill)
    }

    /// As the `fill` initializer, with rows packed in parallel on `pool`, a few panels per
    /// part: `fill` is called concurrently for different rows (load time: this is how tensors
    /// that do not keep their blocks are packed).
    convenience init(
        rows: Int, columns: Int, groupSize: Int, hasOffsets: Bool, int8Activations: Bool, pool: WorkerPool,
        concurrentFill fill: (_ row: Int, _ quants: UnsafeMutablePointer<Int8>, _ scales: UnsafeMutablePointer<Float>,
                              _ offsets: UnsafeMutablePointer<Float>) -> Void
    ) {
        // Rows write every byte of their lanes; only a last, partial panel needs zeroes (its
        // padding lanes), so no single thread touches every page first.
        self.init(rows: rows, columns: columns, groupSize: groupSize, hasOffsets: hasOffsets,
                  int8Activations: int8Activations, zeroed: false)
        let panelCount = self.panelCount, panelBytes = self.panelBytes
        if rows % 16 != 0 {
            (storage + (panelCount - 1) * panelBytes).initializeMemory(as: UInt8.self, repeating: 0, count: panelBytes)
        }
        let perPart = max(1, min(64, panelCount / (8 * pool.threadCount)))
        pool.parallelFor((panelCount + perPart - 1) / perPart) { part in
            packRows(part * perPart * 16..<min(rows, (part + 1) * perPart * 16), fill: fill)
        }
    }

    /// An int8 matrix, zeroed unless `zeroed` is false: `.int8Dot` where the int8 products
    /// apply, else `.int8`.
    private convenience init(rows: Int, columns: Int, groupSize: Int, hasOffsets: Bool, int8Activations: Bool,
                             zeroed: Bool = true) {
        let dot = int8Activations && Self.int8DotAvailable && columns % 32 == 0 && (groupSize == 32 || !hasOffsets)
        self.init(rows: rows, columns: columns, format: dot ? .int8Dot(groupSize: groupSize, hasOffsets: hasOffsets)
                                                             : .int8(groupSize: groupSize, hasOffsets: hasOffsets),
                  zeroed: zeroed)
    }

    /// Packs `rows` of an int8 matrix, each written by `fill`.
    private func packRows(_ rows: Range<Int>,
                          fill: (_ row: Int, _ quants: UnsafeMutablePointer<Int8>, _ scales: UnsafeMutablePointer<Float>,
                                 _ offsets: UnsafeMutablePointer<Float>) -> Void) {
        let groupSize: Int, hasOffsets: Bool, dot: Bool
        switch format {
        case let .int8Dot(size, offsets): (groupSize, hasOffsets, dot) = (size, offsets, true)
        case let .int8(size, offsets): (groupSize, hasOffsets, dot) = (size, offsets, false)
        case .blocks, .float32: preconditionFailure("not an int8 matrix")
        }
        let groups = columns / groupSize
        let quants = UnsafeMutablePointer<Int8>.allocate(capacity: columns)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: groups)
        let offsets = UnsafeMutablePointer<Float>.allocate(capacity: groups)
        defer { quants.deallocate(); scales.deallocate(); offsets.deallocate() }
        let groupBytes = self.groupBytes
        let bias = dot ? Self.weightBias : 0
        for row in rows {
            offsets.initialize(repeating: 0, count: groups)
            fill(row, quants, scales, offsets)
            let panel = storage + (row / 16) * panelBytes
            let lane = row % 16
            for g in 0..<groups {
                let group = panel + g * groupBytes
                let q = group.assumingMemoryBound(to: UInt8.self)
                let source = quants + g * groupSize
                if dot {  // one loop per layout, so each compiles to straight stores (load time)
                    for j in 0..<groupSize { q[Self.quantOffset(column: j, lane: lane, dot: true)] = Self.storedQuant(source[j], dot: true, bias: bias) }
                } else {
                    for j in 0..<groupSize { q[Self.quantOffset(column: j, lane: lane, dot: false)] = Self.storedQuant(source[j], dot: false, bias: 0) }
                }
                let s = (group + groupSize * 16).assumingMemoryBound(to: Float.self)
                s[lane] = scales[g]
                if hasOffsets { s[16 + lane] = offsets[g] }
            }
        }
    }

    /// Where column `column` of a group sits for row `lane` of a panel: `[column][16]` for the
    /// FMA kernel; for `vpdpbusd`, four consecutive columns of one row per 32-bit lane.
    @inline(__always)
    private static func quantOffset(column: Int, lane: Int, dot: Bool) -> Int {
        // Wrapping operations: the operands are small (column < 32, lane < 16) and this runs
        // for every weight at load, where overflow checks cost 40% more instructions (measured).
        dot ? (column >> 2) &<< 6 | lane &<< 2 | column & 3 : column &<< 4 | lane
    }

    /// A quant as stored: its bits for the FMA kernel; q + the level's bias for the int8
    /// products (q + 128, unsigned, for `vpdpbusd`; q itself for `vpmaddubsw`'s sign trick).
    @inline(__always)
    private static func storedQuant(_ q: Int8, dot: Bool, bias: Int) -> UInt8 {
        dot ? UInt8(truncatingIfNeeded: Int(q) &+ bias) : UInt8(bitPattern: q)
    }

    @inline(__always)
    private static func quant(_ stored: UInt8, dot: Bool, bias: Int) -> Int8 {
        dot ? Int8(truncatingIfNeeded: Int(stored) &- bias) : Int8(bitPattern: stored)
    }

    /// Packs a float matrix; `fill(row, values)` writes one row of `columns` floats.
    public convenience init(rows: Int, columns: Int,
                            fill: (_ row: Int, _ values: UnsafeMutablePointer<Float>) -> Void) {
        self.init(rows: rows, columns: columns, format: .float32)
        let values = UnsafeMutablePointer<Float>.allocate(capacity: columns)
        defer { values.deallocate() }
        let w = storage.assumingMemoryBound(to: Float.self)
        for row in 0..<rows {
            fill(row, values)
            let panel = w + (row / 16) * (panelBytes / 4)
            for k in 0..<columns { panel[k * 16 + row % 16] = values[k] }
        }
    }

    /// The weights of one row as floats (for embedding lookups from a tied output matrix).
    public func row(_ n: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(n >= 0 && n < rows)
        let panel = storage + (n / 16) * panelBytes
        let lane = n % 16
        switch format {
        case let .int8(groupSize, hasOffsets), let .int8Dot(groupSize, hasOffsets):
            let dot = takesInt8Activations
            readInt8Row(panel: panel, lane: lane, groupSize: groupSize, hasOffsets: hasOffsets, groupBytes: groupBytes,
                        dot: dot, bias: dot ? Self.weightBias : 0, into: out)
        case .float32:
            let w = panel.assumingMemoryBound(to: Float.self)
            for k in 0..<columns { out[k] = w[k * 16 + lane] }
        case .blocks:
            // The panel as the kernels see it, read as an `.int8Dot` panel.
            let matrix = blockPanels
            let groups = matrix.groups(ofPanel: n / 16), groupSize = groups.size, hasOffsets = groups.hasOffsets
            let unpacked = UnsafeMutableRawPointer.allocate(byteCount: matrix.unpackedPanelBytes, alignment: 64)
            defer { unpacked.deallocate() }
            KernelLevel.active.unpackBlockPanel(matrix, panel: n / 16, into: unpacked)
            readInt8Row(panel: UnsafeRawPointer(unpacked), lane: lane, groupSize: groupSize, hasOffsets: hasOffsets,
                        groupBytes: Int8DotOperands.groupBytes(groupSize: groupSize, hasOffsets: hasOffsets),
                        dot: true, bias: Self.weightBias, into: out)
        }
    }

    /// Row `lane` of an int8 panel (quants then per-group scales and offsets), as floats.
    private func readInt8Row(panel: UnsafeRawPointer, lane: Int, groupSize: Int, hasOffsets: Bool, groupBytes: Int,
                             dot: Bool, bias: Int, into out: UnsafeMutablePointer<Float>) {
        for g in 0..<columns / groupSize {
            let group = panel + g * groupBytes
            let q = group.assumingMemoryBound(to: UInt8.self)
            let s = (group + groupSize * 16).assumingMemoryBound(to: Float.self)
            let scale = s[lane], offset = hasOffsets ? s[16 + lane] : 0
            for j in 0..<groupSize {
                let value = Float(Self.quant(q[Self.quantOffset(column: j, lane: lane, dot: dot)], dot: dot, bias: bias))
                out[g * groupSize + j] = hasOffsets ? value * scale + offset : value * scale
            }
        }
    }
}

// MARK: - Multiplying

extension PackedMatrix {
    /// y[m][n] = Σ_k x[m][k] · W[n][k] for m in 0..<rowCount and n in 0..<rows, at the selected
    /// kernel level. Work is split over the pool by pairs of panels of 16 output rows.
    /// - Parameters:
    ///   - x: [rowCount][xStride] floats, the first `columns` of each row used.
    ///   - y: [rowCount][yStride] floats, the first `rows` of each row written.
    public func multiply(_ x: UnsafePointer<Float>, xStride: Int? = nil, rowCount: Int,
                         into y: UnsafeMutablePointer<Float>, yStride: Int? = nil,
                         pool: WorkerPool = .shared) {
        if rowCount <= 0 { return }
        let xStride = xStride ?? columns, yStride = yStride ?? rows
        switch format {
        case .int8Dot:
            multiplyInt8Dot(x, xStride: xStride, rowCount: rowCount, into: y, yStride: yStride, pool: pool)
            return
        case .blocks:
            multiplyBlocks(x, xStride: xStride, rowCount: rowCount, into: y, yStride: yStride, pool: pool)
            return
        case .int8, .float32:
            break
        }
        let call = PanelMultiplyCall(kernels: KernelLevel.active, matrix: panels, x: x, xStride: xStride,
                                     rowCount: rowCount, y: y, yStride: yStride)
        let run: @Sendable (Range<Int>) -> Void = { range in call.run(panels: range) }
        // Enough panels per part to keep threads busy without splitting tiny matrices.
        let pairs = (panelCount + 1) / 2
        if pairs < 4 || pool.threadCount == 1 {
            run(0..<panelCount)
            return
        }
        let panelCount = self.panelCount
        pool.parallelRanges(pairs) { range in
            run(range.lowerBound * 2..<min(panelCount, range.upperBound * 2))
        }
    }
}

/// One multiply call's operands, shared read-only by the threads.
private struct PanelMultiplyCall: @unchecked Sendable {
    let kernels: any KernelSet.Type
    let matrix: PanelMatrix
    let x: UnsafePointer<Float>
    let xStride: Int
    let rowCount: Int
    let y: UnsafeMutablePointer<Float>
    let yStride: Int

    func run(panels: Range<Int>) {
        kernels.multiplyPanels(matrix, x: x, xStride: xStride, rowCount: rowCount, y: y, yStride: yStride,
                               panels: panels)
    }
}
