import Foundation

/// Rotary position embedding (RoPE) over heads of `dimensions` floats.
///
/// Two pairings exist: `.neox` rotates (i, i + d/2) — Gemma 3, Qwen2 — and `.normal` rotates
/// adjacent (2i, 2i+1) — Llama (its converter permutes Q/K weights for it). Angles follow ggml:
/// θ_i = position · base^(−2i/d), built by repeated multiplication in Float, divided by an
/// optional per-pair frequency factor (Llama 3.1+ `rope_freqs`) and scaled by `frequencyScale`
/// (linear RoPE scaling).
public struct RotaryEmbedding: Sendable {
    public enum Pairing: Sendable { case normal, neox }

    public let dimensions: Int
    public let base: Float
    public let pairing: Pairing
    public let frequencyScale: Float
    public let frequencyFactors: [Float]?

    public init(dimensions: Int, base: Float, pairing: Pairing, frequencyScale: Float = 1,
                frequencyFactors: [Float]? = nil) {
        precondition(dimensions % 2 == 0)
        precondition(frequencyFactors.map { $0.count == dimensions / 2 } ?? true)
        self.dimensions = dimensions
        self.base = base
        self.pairing = pairing
        self.frequencyScale = frequencyScale
        self.frequencyFactors = frequencyFactors
    }

    /// Fills `cosines` and `sines` ([positions.count][dimensions/2]) for the given positions;
    /// computed once per step and shared by every layer with this base.
    public func table(positions: UnsafeBufferPointer<Int32>, cosines: UnsafeMutablePointer<Float>,
                      sines: UnsafeMutablePointer<Float>) {
        let half = dimensions / 2
        let thetaScale = powf(base, -2 / Float(dimensions))
        for (t, position) in positions.enumerated() {
            var theta = Float(position)
            for i in 0..<half {
                var angle = theta * frequencyScale
                if let factors = frequencyFactors { angle /= factors[i] }
                cosines[t * half + i] = cosf(angle)
                sines[t * half + i] = sinf(angle)
                theta *= thetaScale
            }
        }
    }

    /// Rotates the first `dimensions` floats of `heads` heads of one token in place.
    @inline(__always)
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headStride: Int, cosines: UnsafePointer<Float>,
                      sines: UnsafePointer<Float>) {
        let half = dimensions / 2
        for h in 0..<heads {
            let v = x + h * headStride
            switch pairing {
            case .neox:
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
            case .normal:
                for i in 0..<half {
                    let a = v[2 * i], b = v[2 * i + 1]
                    v[2 * i] = a * cosines[i] - b * sines[i]
                    v[2 * i + 1] = a * sines[i] + b * cosines[i]
                }
            }
        }
    }
}
