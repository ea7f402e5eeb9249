/// RMS normalization (Zhang & Sennrich 2019, as ggml's `rms_norm`):
/// out = x / sqrt(mean(x²) + ε) · weight, row by row, at the selected kernel level.
public enum RMSNorm {
    /// One row of `count` floats; `out` may be `x`.
    public static func row(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, epsilon: Float,
                           into out: UnsafeMutablePointer<Float>) {
        KernelLevel.active.rmsNorm(x, weight: weight, count: count, epsilon: epsilon, into: out)
    }

    /// `rows` rows, `stride` floats apart (default `count`), over the pool.
    public static func rows(_ x: UnsafePointer<Float>, rows: Int, count: Int, stride: Int? = nil,
                            weight: UnsafePointer<Float>, epsilon: Float, into out: UnsafeMutablePointer<Float>,
                            pool: WorkerPool = .shared) {
        let stride = stride ?? count
        let kernels = KernelLevel.active
        let body = { (range: Range<Int>) in
            for r in range {
                kernels.rmsNorm(x + r * stride, weight: weight, count: count, epsilon: epsilon, into: out + r * stride)
            }
        }
        // Below a few thousand floats the fork costs more than it saves.
        if rows * count < 16_384 { body(0..<rows) } else { pool.parallelRanges(rows, body) }
    }
}
