import Foundation
import XCTest
import Kernels

final class VectorMathTests: XCTestCase {
    func testExpIsWithinTwoUlpsOfLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = (0..<16).map { x + Float($0) * 0.0137 }
            var e = v
            VectorMath.expInPlace(&e, count: 16, shift: 0)
            for i in 0..<16 {
                let expected = Foundation.exp(Double(v[i]))
                let error = abs(Double(e[i]) - expected) / expected
                worst = max(worst, Float(error))
            }
            x += 0.173
        }
        XCTAssertLessThan(worst, 2.5e-7)
    }

    func testExpSaturatesInsteadOfProducingNaN() {
        var e = [Float](repeating: -.infinity, count: 16)
        VectorMath.expInPlace(&e, count: 16, shift: 0)
        XCTAssertEqual(e[0], 0, accuracy: 1e-37)
        var big = [Float](repeating: 1000, count: 16)
        VectorMath.expInPlace(&big, count: 16, shift: 0)
        XCTAssertTrue(big[0].isFinite && big[0] > 1e38)
    }

    func testGatedActivationsMatchScalarFormulas() {
        let count = 37  // a tail that does not fill a vector
        let gate = (0..<count).map { Float($0) * 0.41 - 7 }
        let up = (0..<count).map { Float($0 % 5) - 2 }
        var gelu = [Float](repeating: 0, count: count), silu = gelu
        VectorMath.geluGated(gate: gate, up: up, count: count, into: &gelu)
        VectorMath.siluGated(gate: gate, up: up, count: count, into: &silu)
        for i in 0..<count {
            let g = Double(gate[i])
            let expectedGelu = 0.5 * g * (1 + Foundation.tanh(0.7978845608 * g * (1 + 0.044715 * g * g))) * Double(up[i])
            let expectedSilu = g / (1 + Foundation.exp(-g)) * Double(up[i])
            XCTAssertEqual(Double(gelu[i]), expectedGelu, accuracy: 1e-5 * max(1, abs(expectedGelu)))
            XCTAssertEqual(Double(silu[i]), expectedSilu, accuracy: 1e-5 * max(1, abs(expectedSilu)))
        }
    }

    func testRMSNormMatchesDoublePrecisionFormula() {
        let count = 40
        let x = (0..<count).map { sin(Float($0)) * 3 }
        let w = (0..<count).map { 1 + Float($0) * 0.01 }
        var out = [Float](repeating: 0, count: count)
        RMSNorm.row(x, weight: w, count: count, epsilon: 1e-6, into: &out)
        let meanSquare = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(count)
        for i in 0..<count {
            let expected = Double(x[i]) / (meanSquare + 1e-6).squareRoot() * Double(w[i])
            XCTAssertEqual(Double(out[i]), expected, accuracy: 1e-5)
        }
    }

    func testRotaryNeoxRotatesHalvesAndNormalRotatesPairs() {
        let dims = 32
        for pairing in [RotaryEmbedding.Pairing.neox, .normal] {
            let rope = RotaryEmbedding(dimensions: dims, base: 10_000, pairing: pairing)
            var cos = [Float](repeating: 0, count: dims / 2), sin = cos
            let positions: [Int32] = [7]
            positions.withUnsafeBufferPointer { rope.table(positions: $0, cosines: &cos, sines: &sin) }
            var x = (0..<dims).map { Float($0) * 0.1 - 1 }
            let original = x
            rope.apply(&x, heads: 1, headStride: dims, cosines: cos, sines: sin)
            for i in 0..<dims / 2 {
                let theta = 7 * pow(10_000.0, -2.0 * Double(i) / Double(dims))
                let (a, b) = pairing == .neox ? (i, i + dims / 2) : (2 * i, 2 * i + 1)
                let ea = Double(original[a]) * Foundation.cos(theta) - Double(original[b]) * Foundation.sin(theta)
                let eb = Double(original[a]) * Foundation.sin(theta) + Double(original[b]) * Foundation.cos(theta)
                XCTAssertEqual(Double(x[a]), ea, accuracy: 1e-4)
                XCTAssertEqual(Double(x[b]), eb, accuracy: 1e-4)
            }
        }
    }
}
