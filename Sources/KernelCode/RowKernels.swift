// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2).

/// Per-row kernels of the decoder: RMS normalization and rotary position embedding.
enum RowKernels {
    /// out = x / sqrt(mean(x²) + ε) · weight (Zhang & Sennrich 2019, as ggml's `rms_norm`).
    @inline(__always)
    static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, epsilon: Float,
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

    /// Rotates each head's pairs by the position's angles: NeoX pairs (i, i + d/2) or
    /// interleaved pairs (2i, 2i + 1), as ggml's `rope` modes.
    static func rotate(_ x: UnsafeMutablePointer<Float>, heads: Int, headStride: Int, dimensions: Int,
                       neoxPairing: Bool, cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>) {
        let half = dimensions / 2
        for h in 0..<heads {
            let v = x + h * headStride
            if neoxPairing {
                var i = 0
                while i + 16 <= half {
                    let a = VectorMath.load(v + i), b = VectorMath.load(v + half + i)
                    let c = VectorMath.load(cosines + i), s = VectorMath.load(sines + i)
                    VectorMath.store(a * c - b * s, v + i)
                    VectorMath.store(a * s + b * c, v + half + i)
                    i += 16
                }
                while i < half {
                    let a = v[i], b = v[half + i]
                    v[i] = a * cosines[i] - b * sines[i]
                    v[half + i] = a * sines[i] + b * cosines[i]
                    i += 1
                }
            } else {
                for i in 0..<half {
                    let a = v[2 * i], b = v[2 * i + 1]
                    v[2 * i] = a * cosines[i] - b * sines[i]
                    v[2 * i + 1] = a * sines[i] + b * cosines[i]
                }
            }
        }
    }
}
