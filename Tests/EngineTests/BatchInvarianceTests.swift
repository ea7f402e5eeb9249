import XCTest
@testable import Engine

/// A request's tokens must not depend on its neighbours: 16 requests run alone, then mixed
/// among 48 others of different lengths, parameters, seeds and priorities, under several
/// engine configurations, give identical outputs token for token (greedy and seeded).
final class BatchInvarianceTests: XCTestCase {
    private typealias H = EngineHarness

    /// Gemma-like: one full-attention layer and five with a window of 12 positions.
    private static let windows: [Int?] = [nil, 12, 12, 12, 12, 12]

    private static let sharedPrefixes: [[Int32]] = (0..<3).map { H.prompt(40, seed: 100 + $0) }

    /// Request `i`: a prompt that sometimes starts with a shared prefix, and parameters that
    /// cycle through greedy and the sampling filters.
    private static func request(_ i: Int, priority: Int) -> GenerationRequest {
        let length = 5 + (i * 13) % 56
        var prompt = H.prompt(length, seed: i)
        if i % 3 != 2 { prompt = sharedPrefixes[i % 3] + prompt.dropFirst() }
        var p: SamplingParameters
        switch i % 8 {
        case 0: p = .greedy()
        case 1: p = SamplingParameters(temperature: 0.9)
        case 2: p = SamplingParameters(temperature: 0.7, topK: 5)
        case 3: p = SamplingParameters(temperature: 1.1, topP: 0.8)
        case 4: p = SamplingParameters(temperature: 1, minP: 0.2)
        case 5: p = SamplingParameters(temperature: 0.8, topK: 20, topP: 0.9, minP: 0.05, repetitionPenalty: 1.3)
        case 6: p = SamplingParameters(temperature: 0, presencePenalty: 0.5, frequencyPenalty: 0.3)
        default: p = SamplingParameters(temperature: 1.5, topP: 0.95, stop: ["<50>"])
        }
        p.seed = UInt64(1000 + i)
        p.maxTokens = 8 + (i * 7) % 33
        p.ignoreEOS = i % 5 == 0
        return GenerationRequest(id: Int64(i), promptTokens: prompt, parameters: p, priority: priority)
    }

    private struct Output: Equatable {
        var tokens: [Int32]
        var text: String
        var reason: FinishReason?
    }

    private func runAlone(_ request: GenerationRequest) throws -> Output {
        let engine = try H.engine(FakeLanguageModel(windows: Self.windows), maxSequences: 1, maxBatchTokens: 512,
                                  kvBlocks: 2048)
        try engine.submit(request)
        let done = try XCTUnwrap(try H.run(engine)[request.id])
        XCTAssertNil(done.error)
        return Output(tokens: done.tokens, text: done.text, reason: done.finishReason)
    }

    /// The 16 subjects (ids 0–15) interleaved with 48 others (ids 16–63).
    private func runMixed(maxSequences: Int, maxBatchTokens: Int, kvBlocks: Int, prefixCaching: Bool = true,
                          minimumPreemptions: Int = 0) throws -> [Int64: Output] {
        let engine = try H.engine(FakeLanguageModel(windows: Self.windows), maxSequences: maxSequences,
                                  maxBatchTokens: maxBatchTokens, kvBlocks: kvBlocks, prefixCaching: prefixCaching)
        let order = (0..<64).sorted { ($0 * 37) % 64 < ($1 * 37) % 64 }
        var submitted = 0
        var results: [Int64: FinishedSequence] = [:]
        // Submit a few per step, so requests join a batch that is already running.
        while submitted < order.count || engine.hasWork {
            for _ in 0..<3 where submitted < order.count {
                let i = order[submitted]
                try engine.submit(Self.request(i, priority: i % 4 == 0 ? 1 : 0))
                submitted += 1
            }
            for done in try engine.step().finished {
                XCTAssertNil(done.error, "\(done.id): \(done.error!)")
                results[done.id] = done
            }
        }
        XCTAssertEqual(results.count, 64)
        XCTAssertGreaterThanOrEqual(engine.profile.total.preemptionCount, minimumPreemptions)
        XCTAssertGreaterThan(engine.profile.meanSequences, 1.5, "requests really shared forward passes")
        return results.mapValues { Output(tokens: $0.tokens, text: $0.text, reason: $0.finishReason) }
    }

    private func assertSubjectsMatchAlone(_ mixed: [Int64: Output], file: StaticString = #filePath, line: UInt = #line) throws {
        for i in 0..<16 {
            let alone = try runAlone(Self.request(i, priority: 0))
            XCTAssertFalse(alone.tokens.isEmpty)
            XCTAssertEqual(mixed[Int64(i)], alone, "request \(i)", file: file, line: line)
        }
    }

    func testOutputsMatchAloneInLargeBatches() throws {
        try assertSubjectsMatchAlone(try runMixed(maxSequences: 64, maxBatchTokens: 512, kvBlocks: 4096))
    }

    func testOutputsMatchAloneWithSmallTokenBudget() throws {
        // 7 tokens per step: prompts are computed in many chunks next to other sequences' decodes.
        try assertSubjectsMatchAlone(try runMixed(maxSequences: 12, maxBatchTokens: 7, kvBlocks: 4096))
    }

    func testOutputsMatchAloneUnderPreemption() throws {
        try assertSubjectsMatchAlone(try runMixed(maxSequences: 32, maxBatchTokens: 48, kvBlocks: 160,
                                                  minimumPreemptions: 5))
    }

    func testOutputsMatchAloneWithoutPrefixCache() throws {
        try assertSubjectsMatchAlone(try runMixed(maxSequences: 24, maxBatchTokens: 64, kvBlocks: 4096,
                                                  prefixCaching: false))
    }
}
