// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2). Each level
// module adds two files of its own: `LevelTuning` (its register budget, for tile shapes) and
// `Int8Kernel` (the int8 products its CPU can run).
import KernelInterface

/// This module's kernels, behind the interface `Kernels` dispatches through.
public enum LevelKernels: KernelSet {
    public static var int8DotAvailable: Bool { Int8Kernel.available }
    public static var int8DotWeightBias: Int { Int8Kernel.weightBias }
    public static var blockInRegisterRows: Int { Int8Kernel.inRegisterRows }

    public static func multiplyPanels(_ matrix: PanelMatrix, x: UnsafePointer<Float>, xStride: Int, rowCount: Int,
                                      y: UnsafeMutablePointer<Float>, yStride: Int, panels: Range<Int>) {
        MultiplyJob(matrix: matrix, x: x, xStride: xStride, rowCount: rowCount, y: y, yStride: yStride)
            .run(panels: panels)
    }

    public static func quantizeActivations(_ into: Int8DotOperands.ActivationRows, x: UnsafePointer<Float>,
                                           stride: Int, columns: Int, rows: Range<Int>) {
        Int8Kernel.quantize(into, x: x, stride: stride, columns: columns, rows: rows)
    }

    public static func multiplyInt8Dot(_ operands: Int8DotOperands, panels: Range<Int>, rows: Range<Int>) {
        Int8Kernel.multiply(operands, panels: panels, rows: rows)
    }

    public static func multiplyBlocks(_ matrix: BlockPanelMatrix, x: Int8DotOperands.ActivationRows,
                                      y: UnsafeMutablePointer<Float>, yStride: Int, panels: Range<Int>, rows: Range<Int>) {
        BlockPanels.multiply(matrix, x: x, y: y, yStride: yStride, panels: panels, rows: rows)
    }

    public static func unpackBlockPanel(_ matrix: BlockPanelMatrix, panel: Int, into out: UnsafeMutableRawPointer) {
        BlockPanels.unpack(matrix, panel: panel, into: out, storedQuants: false)
    }

    public static func attend(_ tile: AttentionTile) {
        PagedAttention.attend(tile)
    }

    public static var pairProductInstruction: Bool { LevelPairAttention.instruction }

    public static func attendEmulatingPairProducts(_ tile: AttentionTile) {
        precondition(tile.layout.precision == .bf16)
        LevelPairAttention.attendEmulated(tile)
    }

    public static func convertToBFloat16(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<UInt16>) {
        BFloat16Vector.convert(x, count: count, into: UnsafeMutableRawPointer(out))
    }

    public static func convertToHalf(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float16>) {
        HalfConversion.toHalf(x, count: count, into: out)
    }

    public static func convertFromHalf(_ x: UnsafePointer<Float16>, count: Int, into out: UnsafeMutablePointer<Float>) {
        HalfConversion.fromHalf(x, count: count, into: out)
    }

    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, epsilon: Float,
                               into out: UnsafeMutablePointer<Float>) {
        RowKernels.rmsNorm(x, weight: weight, count: count, epsilon: epsilon, into: out)
    }

    public static func rotate(_ x: UnsafeMutablePointer<Float>, heads: Int, headStride: Int, dimensions: Int,
                              neoxPairing: Bool, cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>) {
        RowKernels.rotate(x, heads: heads, headStride: headStride, dimensions: dimensions, neoxPairing: neoxPairing,
                          cosines: cosines, sines: sines)
    }

    public static func geluGated(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                                 into out: UnsafeMutablePointer<Float>) {
        VectorMath.geluGated(gate: gate, up: up, count: count, into: out)
    }

    public static func siluGated(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                                 into out: UnsafeMutablePointer<Float>) {
        VectorMath.siluGated(gate: gate, up: up, count: count, into: out)
    }

    public static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        VectorMath.expInPlace(x, count: count, shift: shift)
    }

    public static func softCap(_ x: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
        VectorMath.softCap(x, count: count, cap: cap)
    }

    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        VectorMath.scale(x, count: count, by: factor)
    }

    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        VectorMath.add(x, into: y, count: count)
    }

    public static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        LogitKernels.max(x, count: count)
    }

    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        LogitKernels.argmax(x, count: count)
    }

    public static func sumExp(_ x: UnsafePointer<Float>, start: Int, end: Int, maximum: Float, scale: Float) -> Double {
        LogitKernels.sumExp(x, start: start, end: end, maximum: maximum, scale: scale)
    }

    public static func sumExpDouble(_ x: UnsafePointer<Float>, count: Int, maximum: Float) -> Double {
        VectorMath.sumExpDouble(x, count: count, maximum: maximum)
    }

    public static func nextBlock(_ x: UnsafePointer<Float>, count: Int, start: Int, above threshold: Float) -> Int {
        LogitKernels.nextBlock(x, count: count, start: start, above: threshold)
    }

    public static func nextBlock(_ x: UnsafePointer<Float>, count: Int, start: Int, maximum: Float, scale: Float,
                                 atLeast cutoff: Float) -> Int {
        LogitKernels.nextBlock(x, count: count, start: start, maximum: maximum, scale: scale, atLeast: cutoff)
    }
}
