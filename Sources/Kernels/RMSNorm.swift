/// Root-mean-square normalisation: y = x / sqrt(mean(x²) + eps) · w.
///
/// Used for every norm of the three architectures (Gemma's GGUF weights already include its
/// "+1"). Rows are independent, so a row's result never depends on the batch.
public enum RMSNorm {
    /// Normalises one row of `count` floats (`out` may be `x`).
    @inline(__always)
    public static func row(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, epsilon: Float,
                           into out: UnsafeMutablePointer<Float>) {
        var squares = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let v = VectorMath.load(x + i)
            squares = squares.addingProduct(v, v)
            i += 16
        }
        var total = VectorMath.sum(squares)
        while i < count { total = total.addingProduct(x[i], x[i]); i += 1 }
        let factor = 1 / (total / Float(count) + epsilon).squareRoot()
        i = 0
        while i + 16 <= count {
            VectorMath.store(VectorMath.load(x + i) * factor * VectorMath.load(weight + i), out + i)
            i += 16
        }
        while i < count { out[i] = x[i] * factor * weight[i]; i += 1 }
    }

    /// Normalises `rows` rows of `count` floats, `stride` apart, on the pool.
    public static func rows(_ x: UnsafePointer<Float>, rows: Int, count: Int, stride: Int? = nil,
                            weight: UnsafePointer<Float>, epsilon: Float, into out: UnsafeMutablePointer<Float>,
                            pool: WorkerPool = .shared) {
        let stride = stride ?? count
        let body = { (range: Range<Int>) in
            for r in range { row(x + r * stride, weight: weight, count: count, epsilon: epsilon, into: out + r * stride) }
        }
        // Below a few thousand floats the fork costs more than it saves.
        if rows * count < 16_384 { body(0..<rows) } else { pool.parallelRanges(rows, body) }
    }
}
