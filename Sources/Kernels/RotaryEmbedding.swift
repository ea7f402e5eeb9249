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
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headStride: Int, cosines: UnsafePointer<Float>,
                      sines: UnsafePointer<Float>) {
        KernelLevel.active.rotate(x, heads: heads, headStride: headStride, dimensions: dimensions,
                                  neoxPairing: pairing == .neox, cosines: cosines, sines: sines)
    }
}
