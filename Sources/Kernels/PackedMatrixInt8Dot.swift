
/// `y = x · Wᵀ` for `.int8Dot` matrices: each row of x is quantized to int8 per group of 32
/// (`Int8Activations`), then the selected level runs the integer dot products (`vpdpbusd` on
/// AVX-512 VNNI, `vpmaddubsw` + `vpmaddwd` on AVX2).
///
/// What this changes in the numbers, and what it does not: every activation is rounded to one
/// of 255 levels of its group's largest magnitude (an error up to 1/254 of that magnitude), as
/// ggml rounds activations for its quantized weights (to Q8_0 in groups of 32, or Q8_K in groups
/// of 256 for the K-quants); a row's quantization depends on that row alone and integer sums are
/// exact, so results are still independent of the batch.
extension PackedMatrix {
    /// Whether the selected kernel level has int8 products, which `.int8Dot` needs (AVX2, or
    /// AVX-512 with VNNI).
    public static var int8DotAvailable: Bool { KernelLevel.active.int8DotAvailable }

    func multiplyInt8Dot(_ x: UnsafePointer<Float>, xStride: Int, rowCount: Int,
                         into y: UnsafeMutablePointer<Float>, yStride: Int, pool: WorkerPool) {
        guard case let .int8Dot(groupSize, hasOffsets) = format else { preconditionFailure() }
        let activations = Int8Activations(rows: rowCount, columns: columns)
        activations.quantize(x, stride: xStride, pool: pool)
        let operands = Int8DotOperands(
            weights: UnsafeRawPointer(storage), panelBytes: panelBytes, outputs: rows, columns: columns,
            groupSize: groupSize, hasOffsets: hasOffsets, x: activations.operands, y: y, yStride: yStride)
        let rowBlock = 96  // rows of activations run against a panel pair before moving on (L2)
        let kernels = KernelLevel.active
        let run: @Sendable (Range<Int>) -> Void = { panels in
            var m0 = 0
            while m0 < rowCount {
                let m1 = min(rowCount, m0 + rowBlock)
                kernels.multiplyInt8Dot(operands, panels: panels, rows: m0..<m1)
                m0 = m1
            }
        }
        let pairs = (panelCount + 1) / 2
        if pairs < 4 || pool.threadCount == 1 {
            run(0..<panelCount)
            return
        }
        let panelCount = self.panelCount
        pool.parallelRanges(pairs, chunksPerThread: Self.chunksPerThread(rowCount: rowCount)) { range in
            run(range.lowerBound * 2..<min(panelCount, range.upperBound * 2))
        }
    }
}

extension PackedMatrix {
    /// `y = x · Wᵀ` for `.blocks` matrices: activations quantized as for `.int8Dot`, then each
    /// thread multiplies its panels, from their bits for a few rows or after unpacking pairs of
    /// them for more (`KernelSet.multiplyBlocks`).
    func multiplyBlocks(_ x: UnsafePointer<Float>, xStride: Int, rowCount: Int,
                        into y: UnsafeMutablePointer<Float>, yStride: Int, pool: WorkerPool) {
        let activations = Int8Activations(rows: rowCount, columns: columns)
        activations.quantize(x, stride: xStride, pool: pool)
        let call = BlockMultiplyCall(matrix: blockPanels, x: activations.operands, y: y, yStride: yStride,
                                     rowCount: rowCount)
        let pairs = (panelCount + 1) / 2
        if pairs < 4 || pool.threadCount == 1 {
            call.run(0..<panelCount)
            return
        }
        let panelCount = self.panelCount
        pool.parallelRanges(pairs, chunksPerThread: Self.chunksPerThread(rowCount: rowCount)) { range in
            call.run(range.lowerBound * 2..<min(panelCount, range.upperBound * 2))
        }
    }
}

/// One block multiply's operands, shared read-only by the threads.
private struct BlockMultiplyCall: @unchecked Sendable {
    let matrix: BlockPanelMatrix
    let x: Int8DotOperands.ActivationRows
    let y: UnsafeMutablePointer<Float>
    let yStride: Int
    let rowCount: Int

    func run(_ panels: Range<Int>) {
        KernelLevel.active.multiplyBlocks(matrix, x: x, y: y, yStride: yStride, panels: panels, rows: 0..<rowCount)
    }
}

/// Rows of activations quantized for `Int8DotOperands`, in the calling thread's scratch memory:
/// per row and group of 32 values, `scale = max |x| / 127` and `q = round(x / scale)`; then
/// per group of 16 and of 32 the correction −128 · Σ q for the kernel's unsigned weights, and
/// per group of 32 `scale · Σ q` for weight offsets.
struct Int8Activations: @unchecked Sendable {
    let rows: Int
    let columns: Int
    let quants: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let corrections16: UnsafeMutablePointer<Int32>
    let corrections32: UnsafeMutablePointer<Int32>
    let sums: UnsafeMutablePointer<Float>

    var operands: Int8DotOperands.ActivationRows {
        .init(quants: quants, scales: scales, corrections16: corrections16, corrections32: corrections32, sums: sums)
    }

    init(rows: Int, columns: Int) {
        precondition(columns % 32 == 0)
        self.rows = rows
        self.columns = columns
        let groups = rows * columns / 32
        let quantBytes = (rows * columns + 63) & ~63
        // scales, corrections32 and sums: 4 bytes per group of 32; corrections16: 8.
        let buffer = ThreadScratch.buffer(bytes: quantBytes + groups * 20, slot: .operands)
        quants = buffer.assumingMemoryBound(to: Int8.self)
        scales = (buffer + quantBytes).assumingMemoryBound(to: Float.self)
        corrections32 = (buffer + quantBytes + groups * 4).assumingMemoryBound(to: Int32.self)
        sums = (buffer + quantBytes + groups * 8).assumingMemoryBound(to: Float.self)
        corrections16 = (buffer + quantBytes + groups * 12).assumingMemoryBound(to: Int32.self)
    }

    func quantize(_ x: UnsafePointer<Float>, stride: Int, pool: WorkerPool) {
        if rows < 32 {
            quantize(x, stride: stride, rows: 0..<rows)
        } else {
            pool.parallelRanges(rows) { range in quantize(x, stride: stride, rows: range) }
        }
    }

    private func quantize(_ x: UnsafePointer<Float>, stride: Int, rows range: Range<Int>) {
        KernelLevel.active.quantizeActivations(operands, x: x, stride: stride, columns: columns, rows: range)
    }
}

extension PackedMatrix {
    /// Chunks of panel pairs per thread for a product of `rowCount` rows: decoding a few rows
    /// streams each thread's panels from memory, best in one run; a batch spends longer per
    /// panel, and 8 chunks per thread, claimed as threads come free, even out the threads
    /// (waiting at the end of a region fell from 5.1% to 1.7% of a 64-sequence step).
    static func chunksPerThread(rowCount: Int) -> Int {
        rowCount <= KernelLevel.active.blockInRegisterRows ? 1 : 8
    }
}
