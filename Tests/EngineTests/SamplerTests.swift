import Foundation
import XCTest
@testable import Engine

final class SamplerTests: XCTestCase {
    /// Draws `count` tokens from fresh copies of `logits` with one sampler (one random stream).
    private func frequencies(_ logits: [Float], _ parameters: SamplingParameters, count: Int = 20_000) -> [Double] {
        var sampler = Sampler(parameters: parameters, seed: 12345, promptTokens: [])
        var counts = [Int](repeating: 0, count: logits.count)
        var row = logits
        for _ in 0..<count {
            row = logits
            let token = row.withUnsafeMutableBufferPointer { sampler.sample($0) }
            counts[Int(token)] += 1
        }
        return counts.map { Double($0) / Double(count) }
    }

    private func sampleOnce(_ logits: [Float], _ parameters: SamplingParameters, seed: UInt64 = 1,
                            prompt: [Int32] = [], generated: [Int32] = []) -> Int32 {
        var sampler = Sampler(parameters: parameters, seed: seed, promptTokens: prompt)
        for token in generated { sampler.accept(token) }
        var row = logits
        return row.withUnsafeMutableBufferPointer { sampler.sample($0) }
    }

    /// Logits whose softmax at temperature 1 is `probabilities`.
    private func logits(_ probabilities: [Double]) -> [Float] { probabilities.map { Float(Foundation.log($0)) } }

    private func assertClose(_ a: [Double], _ b: [Double], tolerance: Double = 0.015,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: tolerance, "\(a) vs \(b)", file: file, line: line) }
    }

    /// Deterministic pseudo-random logits in [low, high).
    private func randomRow(_ count: Int, seed: UInt64, low: Float = -4, high: Float = 4) -> [Float] {
        var rng = Xoshiro256StarStar(seed: seed)
        return (0..<count).map { _ in low + Float(rng.nextUnitDouble()) * (high - low) }
    }

    // MARK: Greedy

    func testGreedyPicksLargestLogitLowestIdOnTies() {
        XCTAssertEqual(sampleOnce([1, 5, 3, 5], .greedy()), 1)
        var row = randomRow(37, seed: 3)
        row[36] = 9 // in the tail after the last full vector
        XCTAssertEqual(sampleOnce(row, .greedy()), 36)
    }

    func testTopKOneIsGreedy() {
        let row = randomRow(1000, seed: 4)
        let best = Int32(row.indices.max { row[$0] < row[$1] }!)
        for seed in 0..<20 as Range<UInt64> {
            XCTAssertEqual(sampleOnce(row, SamplingParameters(temperature: 2, topK: 1), seed: seed), best)
        }
    }

    func testGreedyDoesNotAdvanceRandomStream() {
        var sampler = Sampler(parameters: .greedy(), seed: 5, promptTokens: [])
        let before = sampler.rng
        var row: [Float] = [0, 1, 2]
        _ = row.withUnsafeMutableBufferPointer { sampler.sample($0) }
        XCTAssertEqual(sampler.rng, before)
    }

    // MARK: Seeds

    func testSameSeedSameOutput() {
        let row = randomRow(500, seed: 6, low: -2, high: 2)
        func draws(seed: UInt64) -> [Int32] {
            var sampler = Sampler(parameters: SamplingParameters(temperature: 1, topP: 0.9), seed: seed, promptTokens: [])
            return (0..<50).map { _ in
                var copy = row
                return copy.withUnsafeMutableBufferPointer { sampler.sample($0) }
            }
        }
        XCTAssertEqual(draws(seed: 9), draws(seed: 9))
        XCTAssertNotEqual(draws(seed: 9), draws(seed: 10))
    }

    func testGeneratorMatchesReferenceStream() {
        // xoshiro256** seeded by SplitMix64(42), from an independent Python implementation.
        var rng = Xoshiro256StarStar(seed: 42)
        XCTAssertEqual([rng.next(), rng.next(), rng.next()],
                       [0x1578_0b2e_0c2e_c716, 0x6104_d986_6d11_3a7e, 0xae17_5332_39e4_99a1])
    }

    // MARK: Distributions

    func testTemperatureOneFollowsSoftmax() {
        let p = [0.5, 0.25, 0.125, 0.125]
        assertClose(frequencies(logits(p), SamplingParameters(temperature: 1)), p)
    }

    func testLowTemperatureSharpensDistribution() {
        // T = 0.5 squares the probabilities before normalizing.
        let p = [0.5, 0.25, 0.125, 0.125]
        let squared = p.map { $0 * $0 }, total = squared.reduce(0, +)
        assertClose(frequencies(logits(p), SamplingParameters(temperature: 0.5)), squared.map { $0 / total })
    }

    func testTopPKeepsSmallestSetReachingMass() {
        let p = [0.5, 0.3, 0.15, 0.05]
        assertClose(frequencies(logits(p), SamplingParameters(topP: 0.79)), [0.625, 0.375, 0, 0])
        assertClose(frequencies(logits(p), SamplingParameters(topP: 0.81)), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0])
    }

    func testTopKRenormalizesWithinK() {
        let p = [0.3, 0.5, 0.05, 0.15]
        assertClose(frequencies(logits(p), SamplingParameters(topK: 2)), [0.375, 0.625, 0, 0])
        // top-p then applies to the renormalized top k: 0.625 ≥ 0.6 keeps one token.
        assertClose(frequencies(logits(p), SamplingParameters(topK: 2, topP: 0.6)), [0, 1, 0, 0])
    }

    func testMinPDropsTokensBelowFractionOfBest() {
        let p = [0.5, 0.3, 0.15, 0.05]
        // min_p 0.3: keep p ≥ 0.15.
        assertClose(frequencies(logits(p), SamplingParameters(minP: 0.3)), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0])
        assertClose(frequencies(logits(p), SamplingParameters(topK: 3, minP: 0.5)), [0.625, 0.375, 0, 0])
    }

    func testTopPLowersCutoffForHeavyTail() {
        // One token at z = 0 and 40,000 at z = −12.2 (below the first cutoff of −12): the tail
        // holds 40000·e^−12.2 ≈ 0.2 of 1.2, so top_p 0.9 must reach into it.
        var row = [Float](repeating: -100, count: 50_000)
        row[0] = 0
        for i in 1...40_000 { row[i] = -12.2 }
        let tailWeight = Foundation.exp(-12.2), total = 1 + 40_000 * tailWeight
        let tailKept = ((0.9 * total - 1) / tailWeight).rounded(.up) // ties: lowest ids first
        let expectedTail = tailKept * tailWeight / (1 + tailKept * tailWeight)
        var sampler = Sampler(parameters: SamplingParameters(topP: 0.9), seed: 8, promptTokens: [])
        var tail = 0
        let draws = 1000
        for _ in 0..<draws {
            var copy = row
            let token = copy.withUnsafeMutableBufferPointer { sampler.sample($0) }
            if token > 0 {
                tail += 1
                XCTAssertLessThanOrEqual(Double(token), tailKept + 1, "tokens past the nucleus are never drawn")
            }
        }
        XCTAssertGreaterThan(expectedTail, 0.05)
        XCTAssertEqual(Double(tail) / Double(draws), expectedTail, accuracy: 0.025)
    }

    func testFiltersOnFullVocabularyMatchReference() {
        // A Gemma-sized row: most logits low, a few hundred within reach of the top.
        let vocabulary = 262_144
        var row = randomRow(vocabulary, seed: 11, low: -20, high: -5)
        var rng = Xoshiro256StarStar(seed: 12)
        for _ in 0..<300 { row[Int(rng.next() % UInt64(vocabulary))] = Float(rng.nextUnitDouble()) * 6 - 3 }
        let temperature: Float = 0.8
        let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
        let weights = order.map { Foundation.exp(Double(row[$0] - row[order[0]]) / Double(temperature)) }
        let total = weights.reduce(0, +)
        var running = 0.0
        var nucleusCount = order.count
        for (i, w) in weights.enumerated() {
            running += w
            if running >= 0.9 * total { nucleusCount = i + 1; break }
        }
        // One token of slack: the sampler sums Float weights, the reference Double ones.
        let nucleus = Set(order.prefix(nucleusCount + 1))
        let top40 = Set(order.prefix(40))
        let minPThreshold = 0.1 // relative to the best token
        let minPSet = Set(order.indices.filter { weights[$0] >= minPThreshold }.map { order[$0] })

        func draws(_ parameters: SamplingParameters) -> [Int] {
            var sampler = Sampler(parameters: parameters, seed: 13, promptTokens: [])
            return (0..<200).map { _ in
                var copy = row
                return Int(copy.withUnsafeMutableBufferPointer { sampler.sample($0) })
            }
        }
        let k = draws(SamplingParameters(temperature: temperature, topK: 40))
        XCTAssertTrue(k.allSatisfy(top40.contains))
        XCTAssertGreaterThan(Set(k).count, 5)
        let p = draws(SamplingParameters(temperature: temperature, topP: 0.9))
        XCTAssertTrue(p.allSatisfy(nucleus.contains))
        XCTAssertGreaterThan(Set(p).count, 5)
        let m = draws(SamplingParameters(temperature: temperature, minP: Float(minPThreshold)))
        XCTAssertTrue(m.allSatisfy(minPSet.contains))
        let plain = draws(SamplingParameters(temperature: temperature))
        XCTAssertGreaterThan(Set(plain).count, 5)
        let top40Mass = weights.prefix(40).reduce(0, +) / total
        XCTAssertEqual(Double(plain.filter(top40.contains).count) / 200, top40Mass, accuracy: 0.1)
    }

    func testFullRowDrawMatchesSoftmaxWithRaggedTail() {
        // 16·4 + 5 entries: known probabilities placed in the vector body and in the tail.
        var row = [Float](repeating: -.infinity, count: 69)
        let p = [0.4, 0.3, 0.2, 0.1]
        for (i, index) in [3, 30, 64, 68].enumerated() { row[index] = Float(Foundation.log(p[i])) }
        let f = frequencies(row, SamplingParameters(temperature: 1))
        assertClose([f[3], f[30], f[64], f[68]], p)
        XCTAssertEqual(f.reduce(0, +), 1, accuracy: 1e-9)
    }

    // MARK: Penalties

    func testPenaltiesChangeDistribution() {
        let row: [Float] = [2, 1.9, 0]
        XCTAssertEqual(sampleOnce(row, .greedy()), 0)
        XCTAssertEqual(sampleOnce(row, SamplingParameters(temperature: 0, presencePenalty: 0.5), generated: [0]), 1)
        XCTAssertEqual(sampleOnce(row, SamplingParameters(temperature: 0, frequencyPenalty: 0.06), generated: [0]), 0)
        XCTAssertEqual(sampleOnce(row, SamplingParameters(temperature: 0, frequencyPenalty: 0.06), generated: [0, 0]), 1)
        // Sampling, too: a strong presence penalty removes token 0 from play.
        let p = frequencies(row, SamplingParameters(temperature: 1, presencePenalty: 0), count: 2000)
        var sampler = Sampler(parameters: SamplingParameters(temperature: 1, presencePenalty: 50), seed: 1, promptTokens: [])
        sampler.accept(0)
        var zeros = 0
        for _ in 0..<2000 {
            var copy = row
            if copy.withUnsafeMutableBufferPointer({ sampler.sample($0) }) == 0 { zeros += 1 }
        }
        XCTAssertGreaterThan(p[0], 0.4)
        XCTAssertEqual(zeros, 0)
    }

    func testRepetitionPenaltyCoversPromptTokens() {
        XCTAssertEqual(sampleOnce([2, 1.9, 0], SamplingParameters(temperature: 0, repetitionPenalty: 1.1), prompt: [0]), 1)
        // Negative logits are multiplied, so they drop too.
        XCTAssertEqual(sampleOnce([-1, -1.05], SamplingParameters(temperature: 0, repetitionPenalty: 1.1), prompt: [0]), 1)
        XCTAssertEqual(sampleOnce([2, 1.9, 0], SamplingParameters(temperature: 0, repetitionPenalty: 1.1), generated: [0]), 1)
    }

    func testPresenceAndFrequencyIgnorePromptTokens() {
        XCTAssertEqual(sampleOnce([2, 1.9], SamplingParameters(temperature: 0, presencePenalty: 5, frequencyPenalty: 5),
                                  prompt: [0]), 0)
    }
}
