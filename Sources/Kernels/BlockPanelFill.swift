import KernelInterface

/// Packs the panels of a `.blocks` matrix (`PackedMatrix.keepingBlocks`) from its parts' GGUF
/// rows: the `BlockPanelMatrix` layout, built straight from each block's bits with 32-bit word
/// operations (four columns per operation) instead of unpacking every weight to an int8 first.
/// This runs over every weight of a model at load, so it is what load time is made of.
///
/// The layout keeps the file's quants (Q4_0 q + 8, Q5_0 q + 16, Q6_K q + 32): a panel's nibble
/// word for quad `j` of 32 columns is the block's own `qs` bytes `4j..<4j + 4` for the 32-value
/// formats (ggml's `qs[i]` holds column `i` low and `i + 16` high, as the panel does), and a
/// recombination of the nibbles of two `qs` runs for the 256-value ones; only the fifth and
/// sixth bits move bit by bit (a gather of `qh`). Scale fields are copied as the file stores
/// them (Q4_K/Q5_K's 6-bit fields unpacked to bytes).
struct BlockPanelFill: @unchecked Sendable {
    let matrix: PackedMatrix
    let parts: [PackedMatrix.BlockRows]
    let columns: Int

    /// Row index of each part's first row, and of the row after the last part.
    private let firstRows: [Int]

    init(matrix: PackedMatrix, parts: [PackedMatrix.BlockRows], columns: Int) {
        self.matrix = matrix
        self.parts = parts
        self.columns = columns
        var first = 0
        var firstRows: [Int] = []
        for part in parts { firstRows.append(first); first += part.rows }
        self.firstRows = firstRows + [first]
    }

    /// Packs every panel, spread over `pool`. Panels are independent; parts of a few panels
    /// each are claimed as threads free up, so one slow thread (a busy core) does not hold
    /// the others idle at the end of a static split.
    func run(pool: WorkerPool) {
        let panelCount = matrix.panelCount
        let perPart = max(1, min(64, panelCount / (8 * pool.threadCount)))
        let partCount = (panelCount + perPart - 1) / perPart
        pool.parallelFor(partCount) { part in
            fill(panels: part * perPart..<min(panelCount, (part + 1) * perPart))
        }
    }

    /// Packs `panels` (every byte of them: lanes past the last row are zero).
    func fill(panels: Range<Int>) {
        let rowStarts = UnsafeMutablePointer<UnsafeRawPointer>.allocate(capacity: 16)
        defer { rowStarts.deallocate() }
        for panel in panels {
            let format = matrix.blockFormats![panel]
            let base = matrix.storage + matrix.blockOffsets![panel]
            let firstRow = panel * 16
            let lanes = min(16, matrix.rows - firstRow)
            if lanes < 16 {
                base.initializeMemory(as: UInt8.self, repeating: 0,
                                      count: columns / format.unitColumns * format.unitBytes)
            }
            // A panel is all one part (`keepingBlocks`: every part but the last ends on a panel).
            let part = firstRows.lastIndex(where: { $0 <= firstRow })!
            let rows = parts[part]
            let rowBytes = rows.type.byteCount(elements: columns)!
            for lane in 0..<lanes {
                rowStarts[lane] = rows.data + (firstRow + lane - firstRows[part]) * rowBytes
            }
            Self.fill(format, rows: rowStarts, lanes: lanes, units: columns / format.unitColumns,
                      blockBytes: rows.type.blockBytes, into: base)
        }
    }

    /// One panel of `format`: `units` blocks from each of `lanes` rows (`rows[lane]`), row by
    /// row: a panel's rows are consecutive in the file, so the reads stream through one run of
    /// memory, while the writes land in the panel (tens of KB: L1 or L2).
    private static func fill(_ format: BlockPanelMatrix.Format, rows: UnsafePointer<UnsafeRawPointer>, lanes: Int,
                             units: Int, blockBytes: Int, into base: UnsafeMutableRawPointer) {
        let unitBytes = format.unitBytes
        // One loop per format, so each compiles to its own straight-line body.
        @inline(__always) func each(_ body: (UnsafeRawPointer, Int, UnsafeMutableRawPointer) -> Void) {
            for lane in 0..<lanes {
                let row = rows[lane]
                for u in 0..<units { body(row + u &* blockBytes, lane, base + u &* unitBytes) }
            }
        }
        switch format {
        case .q8_0: each { block, lane, unit in q8_0(block, lane: lane, unit) }
        case .q4_0: each { block, lane, unit in q4(block, quants: 2, minimum: nil, lane: lane, unit) }
        case .q4_1: each { block, lane, unit in q4(block, quants: 4, minimum: 2, lane: lane, unit) }
        case .q5_0: each { block, lane, unit in q5(block, high: 2, quants: 6, minimum: nil, lane: lane, unit) }
        case .q5_1: each { block, lane, unit in q5(block, high: 4, quants: 8, minimum: 2, lane: lane, unit) }
        case .q4_K: each { block, lane, unit in kQuants(block, Q4K.self, lane: lane, unit) }
        case .q5_K: each { block, lane, unit in kQuants(block, Q5K.self, lane: lane, unit) }
        case .q6_K: each { block, lane, unit in q6_K(block, lane: lane, unit) }
        }
    }

    // MARK: Formats (block layouts: `Dequantize`; panel layouts: `BlockPanelMatrix`)

    private static let nibbles: UInt32 = 0x0F0F_0F0F

    @inline(__always)
    private static func word(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    private static func put(_ value: UInt32, _ unit: UnsafeMutableRawPointer, _ offset: Int) {
        unit.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// Copies the IEEE half at `from` in the block to lane `lane` of the `[16] f16` at `to`.
    @inline(__always)
    private static func half(_ block: UnsafeRawPointer, from: Int, _ unit: UnsafeMutableRawPointer, to: Int, lane: Int) {
        unit.storeBytes(of: block.loadUnaligned(fromByteOffset: from, as: UInt16.self), toByteOffset: to &+ 2 &* lane,
                        as: UInt16.self)
    }

    /// Q8_0: quad `j` of the lane is `qs[4j..<4j + 4]`.
    @inline(__always)
    private static func q8_0(_ block: UnsafeRawPointer, lane: Int, _ unit: UnsafeMutableRawPointer) {
        for j in 0..<8 { put(word(block, 2 &+ 4 &* j), unit, 64 &* j &+ 4 &* lane) }
        half(block, from: 0, unit, to: 512, lane: lane)
    }

    /// Q4_0, Q4_1: the nibble words are `qs` as it is; `d` (and `m`).
    @inline(__always)
    private static func q4(_ block: UnsafeRawPointer, quants: Int, minimum: Int?, lane: Int,
                           _ unit: UnsafeMutableRawPointer) {
        for j in 0..<4 { put(word(block, quants &+ 4 &* j), unit, 64 &* j &+ 4 &* lane) }
        half(block, from: 0, unit, to: 256, lane: lane)
        if let minimum { half(block, from: minimum, unit, to: 288, lane: lane) }
    }

    /// Q5_0, Q5_1: nibbles as Q4; bit `4j + b` and `16 + 4j + b` of `qh` (the fifth bits of
    /// those columns) go to bits `j` and `4 + j` of high byte `b`.
    @inline(__always)
    private static func q5(_ block: UnsafeRawPointer, high: Int, quants: Int, minimum: Int?, lane: Int,
                           _ unit: UnsafeMutableRawPointer) {
        for j in 0..<4 { put(word(block, quants &+ 4 &* j), unit, 64 &* j &+ 4 &* lane) }
        let qh = word(block, high)
        var bits: UInt32 = 0
        for b in 0..<4 {
            // Bits 0, 4, ..., 28 of qh >> b, gathered into one byte.
            var t = (qh >> UInt32(b)) & 0x1111_1111
            t = (t | t >> 3) & 0x0303_0303
            t = (t | t >> 6) & 0x000F_000F
            t = (t | t >> 12) & 0xFF
            bits |= t << UInt32(8 &* b)
        }
        put(bits, unit, 256 &+ 4 &* lane)
        half(block, from: 0, unit, to: 320, lane: lane)
        if let minimum { half(block, from: minimum, unit, to: 352, lane: lane) }
    }

    /// Q4_K, Q5_K: 32 columns `c` are the low (even `c`) or high (odd) nibbles of `qs[32(c/2)...]`;
    /// Q5_K's fifth bit of column `i` is bit `c` of `qh[i]`. (Generic over the format so each
    /// compiles without the test; wrapping arithmetic: small offsets, and overflow checks
    /// would be most of the instructions.)
    @inline(__always)
    private static func kQuants<K: KQuantFormat>(_ block: UnsafeRawPointer, _: K.Type, lane: Int,
                                                 _ unit: UnsafeMutableRawPointer) {
        let quantBytes = K.fiveBit ? 320 : 256
        let qs = K.fiveBit ? 48 : 16
        for c in 0..<8 {
            let run = qs &+ 32 &* (c >> 1)
            let chunk = c &* quantBytes &+ 4 &* lane
            for j in 0..<4 {
                let low = word(block, run &+ 4 &* j), high = word(block, run &+ 16 &+ 4 &* j)
                put(c & 1 == 0 ? (low & nibbles) | (high & nibbles) << 4 : (low >> 4) & nibbles | high & ~nibbles,
                    unit, chunk &+ 64 &* j)
            }
            if K.fiveBit {
                var bits: UInt32 = 0
                for j in 0..<4 {
                    bits |= ((word(block, 16 &+ 4 &* j) >> UInt32(c)) & 0x0101_0101) << UInt32(j)
                    bits |= ((word(block, 32 &+ 4 &* j) >> UInt32(c)) & 0x0101_0101) << UInt32(4 &+ j)
                }
                put(bits, unit, chunk &+ 256)
            }
        }
        let header = 8 &* quantBytes
        for j in 0..<8 {
            let (scale, min) = Dequantize.scaleAndMin(j, block + 4)
            unit.storeBytes(of: scale, toByteOffset: header &+ 16 &* j &+ lane, as: UInt8.self)
            unit.storeBytes(of: min, toByteOffset: header &+ 128 &+ 16 &* j &+ lane, as: UInt8.self)
        }
        half(block, from: 0, unit, to: header &+ 256, lane: lane)
        half(block, from: 2, unit, to: header &+ 288, lane: lane)
    }

    /// Q6_K: 32 columns `c` (half `c / 4` of the block, run `g = c % 4` of that half) are the
    /// low (`g` < 2) or high nibbles of `ql[64(c/4) + 32(g % 2)...]`; bits 4–5 of column `i`
    /// are bits `2g, 2g + 1` of `qh[32(c/4) + i]`.
    @inline(__always)
    private static func q6_K(_ block: UnsafeRawPointer, lane: Int, _ unit: UnsafeMutableRawPointer) {
        for c in 0..<8 {
            let h = c >> 2, g = c & 3
            let run = 64 &* h &+ 32 &* (g & 1)
            let qh = 128 &+ 32 &* h
            let chunk = c &* 384 &+ 4 &* lane
            for j in 0..<4 {
                let low = word(block, run &+ 4 &* j), high = word(block, run &+ 16 &+ 4 &* j)
                put(g < 2 ? (low & nibbles) | (high & nibbles) << 4 : (low >> 4) & nibbles | high & ~nibbles,
                    unit, chunk &+ 64 &* j)
            }
            for t in 0..<2 {
                var bits: UInt32 = 0
                for k in 0..<4 {
                    bits |= ((word(block, qh &+ 16 &* t &+ 4 &* k) >> UInt32(2 &* g)) & 0x0303_0303) << UInt32(2 &* k)
                }
                put(bits, unit, chunk &+ 256 &+ 64 &* t)
            }
        }
        let header = 8 * 384
        for s in 0..<16 {
            unit.storeBytes(of: block.load(fromByteOffset: 192 + s, as: UInt8.self), toByteOffset: header &+ 16 &* s &+ lane,
                            as: UInt8.self)
        }
        half(block, from: 208, unit, to: header &+ 256, lane: lane)
    }
}

/// Q4_K or Q5_K, as a type, so `BlockPanelFill.kQuants` is specialized per format.
private protocol KQuantFormat { static var fiveBit: Bool { get } }
private enum Q4K: KQuantFormat { static var fiveBit: Bool { false } }
private enum Q5K: KQuantFormat { static var fiveBit: Bool { true } }
