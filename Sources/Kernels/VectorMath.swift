/// Vector operations over float arrays, at the selected kernel level (`KernelLevel`): exp,
/// tanh and the gated activations in our own polynomials (about 1-2 ulp where it matters),
/// because libm's scalar `expf`/`tanhf` cost ~20 ns each and the FFN alone needs thousands of
/// them per token per layer.
public enum VectorMath {
    /// out[i] = gelu(gate[i]) · up[i]  (Gemma's GeGLU feed-forward; tanh approximation).
    public static func geluGated(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                                 into out: UnsafeMutablePointer<Float>) {
        KernelLevel.active.geluGated(gate: gate, up: up, count: count, into: out)
    }

    /// out[i] = silu(gate[i]) · up[i]  (SwiGLU: Llama, Qwen2).
    public static func siluGated(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                                 into out: UnsafeMutablePointer<Float>) {
        KernelLevel.active.siluGated(gate: gate, up: up, count: count, into: out)
    }

    /// x[i] = exp(x[i] − shift) in place; returns the sum of the results.
    @discardableResult
    public static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        KernelLevel.active.expInPlace(x, count: count, shift: shift)
    }

    /// Largest value of x[0..<count] (count ≥ 1).
    public static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        KernelLevel.active.maximum(x, count: count)
    }

    /// Σ exp(x[i] − maximum) in double precision (blocks of 16 summed in float): the
    /// denominator of a log-softmax.
    public static func sumExp(_ x: UnsafePointer<Float>, count: Int, maximum: Float) -> Double {
        KernelLevel.active.sumExpDouble(x, count: count, maximum: maximum)
    }

    /// x[i] = tanh(x[i] / cap) · cap (Gemma 2/3's final logit soft-capping).
    public static func softCap(_ x: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
        KernelLevel.active.softCap(x, count: count, cap: cap)
    }

    /// x[i] *= factor.
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        KernelLevel.active.scale(x, count: count, by: factor)
    }

    /// y[i] += x[i].
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        KernelLevel.active.add(x, into: y, count: count)
    }
}
