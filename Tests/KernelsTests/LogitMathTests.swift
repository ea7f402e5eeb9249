import Foundation
import Kernels
import XCTest

/// The sampler's passes over a row of logits, at the selected kernel level (run the suite with
/// JOBS_KERNELS=avx2 and =avx512 to cover both).
final class LogitMathTests: XCTestCase {
    func testExpMatchesLibmAndTheVectorFormAtThisLevel() {
        var worst: Float = 0
        var x: Float = -87
        while x <= 10 {
            let ours = LogitMath.exp(x), reference = Foundation.exp(x)
            worst = max(worst, abs(ours - reference) / reference)
            XCTAssertEqual(FastExp.vector(SIMD16<Float>(repeating: x))[5], ours, "vector and scalar forms agree")
            // The level's vector exp, through a block of 16 whose other lanes are exp(−∞) = 0.
            var row = [Float](repeating: -.infinity, count: 16)
            row[5] = x
            let sum = row.withUnsafeBufferPointer { LogitMath.sumExp($0, maximum: 0, scale: 1) }
            XCTAssertEqual(sum, Double(ours), "the level's vector exp is the scalar one")
            x += 0.0137
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertEqual(LogitMath.exp(-100), 0)
        XCTAssertEqual(LogitMath.exp(-.infinity), 0)
        XCTAssertEqual(FastExp.vector(SIMD16<Float>(repeating: -.infinity))[0], 0)
    }

    func testMaxArgmaxAndNextBlockOnARowWithATail() {
        var row = [Float](repeating: -1, count: 70)  // 4 whole blocks and a tail of 6
        row[37] = 5
        row[66] = 5
        row.withUnsafeBufferPointer { r in
            XCTAssertEqual(LogitMath.max(r), 5)
            XCTAssertEqual(LogitMath.argmax(r), 37, "the first of equal maxima")
            XCTAssertEqual(LogitMath.nextBlock(r, from: 0, above: 0), 32)
            XCTAssertEqual(LogitMath.nextBlock(r, from: 48, above: 0), 64, "no whole block above: the tail's start")
            XCTAssertEqual(LogitMath.nextBlock(r, from: 0, above: 5), 64)
            // (x − 5) · 2 ≥ −1 holds for x = 5 only.
            XCTAssertEqual(LogitMath.nextBlock(r, from: 0, maximum: 5, scale: 2, atLeast: -1), 32)
            XCTAssertEqual(LogitMath.nextBlock(r, from: 48, maximum: 5, scale: 2, atLeast: -1), 64)
        }
    }

    func testTheSelectedLevelIsNamedAndRunsHere() throws {
        let level = try KernelLevel.selected.get()
        XCTAssertTrue(level.runs(on: .current))
        if let forced = ProcessInfo.processInfo.environment[KernelLevel.environmentKey], !forced.isEmpty {
            XCTAssertEqual(level.rawValue, forced)
        }
    }
}
