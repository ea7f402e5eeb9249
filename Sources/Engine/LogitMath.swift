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

    /// Largest value; -infinity for an empty row.
    static func max(_ row: UnsafeBufferPointer<Float>) -> Float {
        let n = row.count, base = row.baseAddress!
        var best = Vector(repeating: -.infinity)
        var i = 0
        while i + width <= n {
            best = pointwiseMax(best, load(base + i))
            i += width
        }
        var result = best.max()
        while i < n { result = Swift.max(result, base[i]); i += 1 }
        return result
    }

    /// Index of the largest value, the lowest index among ties (0 for a row of NaNs).
    static func argmax(_ row: UnsafeBufferPointer<Float>) -> Int {
        let m = max(row)
        return row.firstIndex(of: m) ?? 0
    }

    /// Σ exp((x − maximum) · scale) over the row, summed per 16-lane chunk in Double.
    static func sumExp(_ row: UnsafeBufferPointer<Float>, maximum: Float, scale: Float) -> Double {
        let n = row.count, base = row.baseAddress!
        let m = Vector(repeating: maximum), s = Vector(repeating: scale)
        var total = 0.0
        var i = 0
        while i + width <= n {
            total += Double(exp((load(base + i) - m) * s).sum())
            i += width
        }
        while i < n { total += Double(exp((base[i] - maximum) * scale)); i += 1 }
        return total
    }

    /// The index where the running sum of exp((x − maximum) · scale), taken in the same chunks
    /// as `sumExp`, first exceeds `target`. Falls back to the last index with a nonzero weight.
    static func drawIndex(_ row: UnsafeBufferPointer<Float>, maximum: Float, scale: Float, target: Double) -> Int {
        let n = row.count, base = row.baseAddress!
        let m = Vector(repeating: maximum), s = Vector(repeating: scale)
        var running = 0.0
        var lastNonzero = 0
        var i = 0
        while i + width <= n {
            let weights = exp((load(base + i) - m) * s)
            let chunk = Double(weights.sum())
            if running + chunk > target {
                for lane in 0..<width where weights[lane] > 0 {
                    running += Double(weights[lane])
                    lastNonzero = i + lane
                    if running > target { return i + lane }
                }
                return lastNonzero
            }
            if chunk > 0 { lastNonzero = i + width - 1 }
            running += chunk
            i += width
        }
        while i < n {
            let w = exp((base[i] - maximum) * scale)
            if w > 0 {
                running += Double(w)
                lastNonzero = i
                if running > target { return i }
            }
            i += 1
        }
        return lastNonzero
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
        let clamped = x.clamped(lowerBound: Vector(repeating: lowest), upperBound: Vector(repeating: highest))
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
        let clamped = Swift.min(x, highest)
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
