// Shared kernel source: compiled once per CPU level (KernelsAVX512, KernelsAVX2).
import Foundation
import KernelInterface

/// Vectorised exp, tanh and the gated activations, 16 floats at a time.
///
/// libm's scalar `expf`/`tanhf` cost ~20 ns each; the FFN alone needs 2048 of them per token per
/// layer, and softmax over a 262,144-token vocabulary needs one per token id. These run at a
/// few cycles per 16 values with about 1-2 ulp of error in the range that matters.
enum VectorMath {
    /// e^x per lane: the one `FastExp`.
    @inline(__always)
    static func exp(_ input: SIMD16<Float>) -> SIMD16<Float> { FastExp.vector(input) }

    /// tanh(x) = 1 − 2 / (e^{2x} + 1).
    @inline(__always)
    static func tanh(_ x: SIMD16<Float>) -> SIMD16<Float> {
        1 - 2 / (exp(x + x) + 1)
    }

    /// GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²))).
    @inline(__always)
    static func gelu(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let inner = x * 0.797_884_560_8 * (x * x * 0.044_715 + 1)
        return 0.5 * x * (1 + tanh(inner))
    }

    /// SiLU: x · sigmoid(x).
    @inline(__always)
    static func silu(_ x: SIMD16<Float>) -> SIMD16<Float> {
        x / (1 + exp(-x))
    }

    /// Sum of the lanes, as a tree (the same order everywhere).
    @inline(__always)
    static func sum(_ v: SIMD16<Float>) -> Float {
        let a = v.lowHalf + v.highHalf
        let b = a.lowHalf + a.highHalf
        let c = b.lowHalf + b.highHalf
        return c[0] + c[1]
    }

    @inline(__always)
    static func max(_ v: SIMD16<Float>) -> Float {
        let a = pointwiseMax(v.lowHalf, v.highHalf)
        let b = pointwiseMax(a.lowHalf, a.highHalf)
        let c = pointwiseMax(b.lowHalf, b.highHalf)
        return Swift.max(c[0], c[1])
    }

    // MARK: Arrays

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// Applies `f` to 16 lanes at a time; the tail is padded through a small buffer so every
    /// value goes through the same arithmetic.
    @inline(__always)
    static func map(_ count: Int, _ body: (Int, Int) -> Void) {
        var i = 0
        while i + 16 <= count { body(i, 16); i += 16 }
        if i < count { body(i, count - i) }
    }

    /// out[i] = gelu(gate[i]) · up[i]  (Gemma's GeGLU feed-forward).
    static func geluGated(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                                 into out: UnsafeMutablePointer<Float>) {
        gated(gate: gate, up: up, count: count, into: out) { gelu($0) }
    }

    /// out[i] = silu(gate[i]) · up[i]  (SwiGLU: Llama, Qwen2).
    static func siluGated(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                                 into out: UnsafeMutablePointer<Float>) {
        gated(gate: gate, up: up, count: count, into: out) { silu($0) }
    }

    @inline(__always)
    private static func gated(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
                              into out: UnsafeMutablePointer<Float>,
                              _ activation: (SIMD16<Float>) -> SIMD16<Float>) {
        var i = 0
        while i + 16 <= count {
            store(activation(load(gate + i)) * load(up + i), out + i)
            i += 16
        }
        if i < count {
            var g = SIMD16<Float>(), u = SIMD16<Float>()
            for j in 0..<count - i { g[j] = gate[i + j]; u[j] = up[i + j] }
            let r = activation(g) * u
            for j in 0..<count - i { out[i + j] = r[j] }
        }
    }

    /// x[i] = exp(x[i] − shift) in place; returns the sum of the results.
    @discardableResult
    static func expInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        var total = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let e = exp(load(x + i) - shift)
            store(e, x + i)
            total += e
            i += 16
        }
        var tail: Float = 0
        if i < count {
            var v = SIMD16<Float>(repeating: -.infinity)
            for j in 0..<count - i { v[j] = x[i + j] }
            let e = exp(v - shift)
            for j in 0..<count - i { x[i + j] = e[j]; tail += e[j] }
        }
        return sum(total) + tail
    }

    /// Largest value of x[0..<count] (count ≥ 1).
    static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var m = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        // Compare-and-blend: `pointwiseMax` compiles to per-lane scalar code (its NaN rules),
        // which made this the slowest step of attention's softmax.
        while i + 16 <= count {
            let v = load(x + i)
            m.replace(with: v, where: v .> m)
            i += 16
        }
        var result = m.max()
        while i < count { result = Swift.max(result, x[i]); i += 1 }
        return result
    }

    /// x[i] *= factor.
    static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        var i = 0
        while i + 16 <= count { store(load(x + i) * factor, x + i); i += 16 }
        while i < count { x[i] *= factor; i += 1 }
    }

    /// y[i] += x[i].
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count { store(load(y + i) + load(x + i), y + i); i += 16 }
        while i < count { y[i] += x[i]; i += 1 }
    }

    /// x[i] = tanh(x[i] / cap) · cap (Gemma's final logit soft-capping); the tail goes through
    /// libm's `tanh`, as before the move.
    static func softCap(_ x: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
        var i = 0
        while i + 16 <= count {
            store(tanh(load(x + i) / cap) * cap, x + i)
            i += 16
        }
        while i < count { x[i] = Foundation.tanh(x[i] / cap) * cap; i += 1 }
    }

    /// Σ exp(x[i] − maximum), each block of 16 summed in float and the blocks in double; the
    /// tail in double through libm (the log-softmax denominator of perplexity).
    static func sumExpDouble(_ x: UnsafePointer<Float>, count: Int, maximum: Float) -> Double {
        var total = 0.0
        var i = 0
        while i + 16 <= count {
            total += Double(sum(exp(load(x + i) - maximum)))
            i += 16
        }
        while i < count { total += Foundation.exp(Double(x[i] - maximum)); i += 1 }
        return total
    }
}
