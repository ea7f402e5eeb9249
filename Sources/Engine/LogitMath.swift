/// Vectorized passes over one row of logits (262,144 floats for Gemma 3), for the sampler.
///
/// Each function is a pure function of its inputs with a fixed order of floating-point
/// operations, so a row gives the same result whatever else is in the batch. `exp` is our own
/// polynomial (relative error about 2e-7), identical in its vector and scalar forms, because
/// calling libm's `expf` 262,144 times per sampled token would cost more than the rest of the
/// sampler together.
enum LogitMath {
    typealias Vector = SIMD16<Float>
    static let width = Vector.scalarCount
    /// Elements per partial sum in `sumExp`/`drawIndex`: summed in a Float vector, then added
    /// to a Double total. (A horizontal sum per 16 lanes costs more than the exp itself.)
    static let block = 1024

    // Note: `pointwiseMax`/`clamped` on SIMD vectors compile to per-lane scalar code here
    // (NaN handling); `replace(with:where:)` compiles to vector compare-and-blend.

    /// Largest value; -infinity for an empty row.
    static func max(_ row: UnsafeBufferPointer<Float>) -> Float {
        let n = row.count, base = row.baseAddress!
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

    /// Index of the largest value, the lowest index among ties (0 for a row of NaNs).
    static func argmax(_ row: UnsafeBufferPointer<Float>) -> Int {
        let m = max(row)
        let n = row.count, base = row.baseAddress!
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

    /// Σ exp((x − maximum) · scale) over the row, in blocks of `block` elements.
    static func sumExp(_ row: UnsafeBufferPointer<Float>, maximum: Float, scale: Float) -> Double {
        var total = 0.0
        var start = 0
        while start < row.count {
            let end = Swift.min(start + block, row.count)
            total += blockSum(row, start, end, maximum: maximum, scale: scale)
            start = end
        }
        return total
    }

    /// The index where the running sum of exp((x − maximum) · scale), taken block by block as
    /// in `sumExp`, first exceeds `target`. Falls back to the last index with a nonzero weight
    /// when rounding leaves the target out of reach.
    static func drawIndex(_ row: UnsafeBufferPointer<Float>, maximum: Float, scale: Float, target: Double) -> Int {
        let base = row.baseAddress!
        var running = 0.0
        var lastNonzero = 0
        var start = 0
        while start < row.count {
            let end = Swift.min(start + block, row.count)
            let sum = blockSum(row, start, end, maximum: maximum, scale: scale)
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

    /// Σ exp((x − maximum) · scale) over row[start..<end].
    @inline(__always)
    private static func blockSum(_ row: UnsafeBufferPointer<Float>, _ start: Int, _ end: Int,
                                 maximum: Float, scale: Float) -> Double {
        let base = row.baseAddress!
        let m = Vector(repeating: maximum), s = Vector(repeating: scale)
        var accumulator = Vector(repeating: 0)
        var i = start
        while i + width <= end {
            accumulator += exp((load(base + i) - m) * s)
            i += width
        }
        var tail: Float = 0
        while i < end { tail += exp((base[i] - maximum) * scale); i += 1 }
        return Double(accumulator.sum()) + Double(tail)
    }

    // MARK: exp

    // exp(x) = 2^n · e^r with n = round(x / ln 2) and |r| ≤ ln 2 / 2; e^r by a degree-6 Taylor
    // polynomial (error below one float ulp on that interval). ln 2 is split in two parts so
    // that n · ln2High is exact.
    private static let log2e: Float = 1.442_695_04
    private static let ln2High: Float = 0.693_145_751_953_125
    private static let ln2Low: Float = 1.428_606_820_309_417_232e-6
    /// 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer held in the
    /// low mantissa bits.
    private static let roundingMagic: Float = 12_582_912
    /// Below this, exp underflows the normal range; the result is 0.
    private static let lowest: Float = -87
    private static let highest: Float = 88

    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        var clamped = x
        clamped.replace(with: Vector(repeating: lowest), where: x .< lowest)
        clamped.replace(with: Vector(repeating: highest), where: x .> highest)
        let shifted = clamped * log2e + roundingMagic
        let n = shifted - roundingMagic
        let r = clamped - n * ln2High - n * ln2Low
        var p = Vector(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^n from n's bits: the integer sits in the low bits of `shifted`.
        let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4b40_0000
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: Vector.self)
        var result = p * scale
        result.replace(with: 0, where: x .< lowest)
        return result
    }

    /// The scalar form of `exp(_: Vector)`, with the same operations in the same order.
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        if x < lowest { return 0 }
        let clamped = x > highest ? highest : x
        let shifted = clamped * log2e + roundingMagic
        let n = shifted - roundingMagic
        let r = clamped - n * ln2High - n * ln2Low
        var p: Float = 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let integer = Int32(bitPattern: shifted.bitPattern) &- 0x4b40_0000
        return p * Float(bitPattern: UInt32(bitPattern: (integer &+ 127) &<< 23))
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }
}
