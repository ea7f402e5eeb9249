/// Passes over one row of logits (262,144 floats for Gemma 3) for the sampler, at the selected
/// kernel level.
///
/// Each function is a pure function of its inputs with a fixed order of floating-point
/// operations, so a row gives the same result whatever else is in the batch. `exp` is
/// `FastExp`, identical in its vector and scalar forms (the same exp as the model's).
public enum LogitMath {
    /// Elements per partial sum in `sumExp`/`drawIndex`: summed in a Float vector, then added
    /// to a Double total. (A horizontal sum per 16 lanes costs more than the exp itself.)
    public static let block = 1024

    /// Largest value; -infinity for an empty row.
    public static func max(_ row: UnsafeBufferPointer<Float>) -> Float {
        row.isEmpty ? -.infinity : KernelLevel.active.maximum(row.baseAddress!, count: row.count)
    }

    /// Index of the first largest value (0 when every value is NaN).
    public static func argmax(_ row: UnsafeBufferPointer<Float>) -> Int {
        KernelLevel.active.argmax(row.baseAddress!, count: row.count)
    }

    /// Σ exp((x − maximum) · scale) over the row, block by block.
    public static func sumExp(_ row: UnsafeBufferPointer<Float>, maximum: Float, scale: Float) -> Double {
        let kernels = KernelLevel.active
        var total = 0.0
        var start = 0
        while start < row.count {
            let end = Swift.min(start + block, row.count)
            total += kernels.sumExp(row.baseAddress!, start: start, end: end, maximum: maximum, scale: scale)
            start = end
        }
        return total
    }

    /// The index where the running sum of exp((x − maximum) · scale), in index order, first
    /// exceeds `target` (the last index with a non-zero weight if it never does): a draw from
    /// the softmax when `target` is uniform in [0, total).
    public static func drawIndex(_ row: UnsafeBufferPointer<Float>, maximum: Float, scale: Float, target: Double) -> Int {
        let kernels = KernelLevel.active
        let base = row.baseAddress!
        var running = 0.0
        var lastNonzero = 0
        var start = 0
        while start < row.count {
            let end = Swift.min(start + block, row.count)
            let sum = kernels.sumExp(base, start: start, end: end, maximum: maximum, scale: scale)
            if running + sum > target || end == row.count {
                // The target falls in this block: walk it one element at a time.
                for i in start..<end {
                    let w = exp((base[i] - maximum) * scale)
                    guard w > 0 else { continue }
                    running += Double(w)
                    lastNonzero = i
                    if running > target { return i }
                }
                if end == row.count { return lastNonzero }
            } else if sum > 0 {
                lastNonzero = (start..<end).last { base[$0] > -.infinity } ?? lastNonzero
                running += sum
            }
            start = end
        }
        return lastNonzero
    }

    /// The sampler's exp of one value.
    @inline(__always)
    public static func exp(_ x: Float) -> Float { FastExp.scalar(x) }

    /// From `start`, the start of the first block of 16 holding a value above `threshold`, or
    /// where the tail after the last whole block begins.
    public static func nextBlock(_ row: UnsafeBufferPointer<Float>, from start: Int, above threshold: Float) -> Int {
        KernelLevel.active.nextBlock(row.baseAddress!, count: row.count, start: start, above: threshold)
    }

    /// The same for `(x − maximum) · scale ≥ cutoff`.
    public static func nextBlock(_ row: UnsafeBufferPointer<Float>, from start: Int, maximum: Float, scale: Float,
                                 atLeast cutoff: Float) -> Int {
        KernelLevel.active.nextBlock(row.baseAddress!, count: row.count, start: start, maximum: maximum, scale: scale,
                                     atLeast: cutoff)
    }
}
