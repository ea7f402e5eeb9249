// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2).
import KernelInterface

/// Vectorized passes over one row of logits (262,144 floats for Gemma 3), for the sampler.
///
/// Each function is a pure function of its inputs with a fixed order of floating-point
/// operations, so a row gives the same result whatever else is in the batch.
enum LogitKernels {
    typealias Vector = SIMD16<Float>
    static let width = Vector.scalarCount

    // Note: `pointwiseMax`/`clamped` on SIMD vectors compile to per-lane scalar code here
    // (NaN handling); `replace(with:where:)` compiles to vector compare-and-blend.

    /// Largest value; -infinity for an empty row.
    static func max(_ base: UnsafePointer<Float>, count n: Int) -> Float {
        var best = Vector(repeating: -.infinity)
        var i = 0
        while i + width <= n {
            let v = load(base + i)
            best.replace(with: v, where: v .> best)
            i += width
        }
        var result = best.max()
        while i < n { result = Swift.max(result, base[i]); i += 1 }
        return result
    }

    /// Index of the first largest value (0 when every value is NaN).
    static func argmax(_ base: UnsafePointer<Float>, count n: Int) -> Int {
        let m = max(base, count: n)
        let target = Vector(repeating: m)
        var i = 0
        while i + width <= n {
            if any(load(base + i) .== target) { break }
            i += width
        }
        while i < n {
            if base[i] == m { return i }
            i += 1
        }
        return 0
    }

    /// Σ exp((x − maximum) · scale) over `start..<end`: the lanes in a Float vector, then the
    /// tail one by one, added in Double.
    static func sumExp(_ base: UnsafePointer<Float>, start: Int, end: Int, maximum: Float, scale: Float) -> Double {
        let m = Vector(repeating: maximum), s = Vector(repeating: scale)
        var accumulator = Vector(repeating: 0)
        var i = start
        while i + width <= end {
            accumulator += FastExp.vector((load(base + i) - m) * s)
            i += width
        }
        var tail: Float = 0
        while i < end { tail += FastExp.scalar((base[i] - maximum) * scale); i += 1 }
        return Double(accumulator.sum()) + Double(tail)
    }

    /// The start of the first block of 16 at or after `start` (a multiple of 16 from `start`)
    /// holding a value above `threshold`; past the last whole block, `start` itself is returned
    /// (the caller walks the tail one by one).
    static func nextBlock(_ base: UnsafePointer<Float>, count n: Int, start: Int, above threshold: Float) -> Int {
        let t = Vector(repeating: threshold)
        var i = start
        while i + width <= n {
            if any(load(base + i) .> t) { return i }
            i += width
        }
        return i
    }

    /// The same for `(x − maximum) · scale ≥ cutoff`, computed exactly as the sampler does.
    static func nextBlock(_ base: UnsafePointer<Float>, count n: Int, start: Int, maximum: Float, scale: Float,
                          atLeast cutoff: Float) -> Int {
        let m = Vector(repeating: maximum), s = Vector(repeating: scale), c = Vector(repeating: cutoff)
        var i = start
        while i + width <= n {
            if any((load(base + i) - m) * s .>= c) { return i }
            i += width
        }
        return i
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }
}
