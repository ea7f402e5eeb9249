import Engine
import Foundation
import Model
import TestSupport
import Tokenizer
import XCTest

/// Log-probabilities of generated tokens (issue 10): the model's distribution before sampling,
/// the chosen token's equal to the top one when greedy, a distribution (probabilities sum to at
/// most 1), and the same alone as in a batch of 64, like the tokens.
final class LogprobsTests: XCTestCase {
    private static let loaded = Result<LoadedModel, any Error> {
        let directory = TemporaryDirectory()
        return try LoadedModel(path: TinyModel.write(.gemma3, to: directory.file("tiny.gguf")))
    }

    private func request(_ i: Int, _ tokenizer: any Tokenizer, logprobs: Int?) -> GenerationRequest {
        var parameters = i % 2 == 0 ? SamplingParameters.greedy(maxTokens: 12)
                                    : SamplingParameters(temperature: 0.9, topP: 0.9, seed: UInt64(50 + i), maxTokens: 12)
        parameters.logprobs = logprobs
        parameters.ignoreEOS = true
        let prompt = RealDecoderBatchInvarianceTests.prompt(i)
        return GenerationRequest(id: Int64(i), promptTokens: tokenizer.encode(prompt, addSpecial: true, parseSpecial: false),
                                 parameters: parameters)
    }

    private func runAlone(_ request: GenerationRequest, _ loaded: LoadedModel) throws -> FinishedSequence {
        let engine = try Engine(model: loaded.model, tokenizer: loaded.tokenizer, options: EngineOptions(
            maxSequences: 1, maxBatchTokens: 512, kvMemoryBytes: 16 << 20, prefixCaching: false))
        try engine.submit(request)
        while true {
            if let done = try engine.step().finished.first { return done }
        }
    }

    func testGreedyTopLogprobIsTheChosenTokensAndProbabilitiesSumToAtMostOne() throws {
        let loaded = try Self.loaded.get()
        let done = try runAlone(request(0, loaded.tokenizer, logprobs: 20), loaded)
        XCTAssertNil(done.error)
        XCTAssertEqual(done.logprobs.count, done.tokens.count)
        XCTAssertEqual(done.logprobs.map(\.token), done.tokens)
        for entry in done.logprobs {
            XCTAssertEqual(entry.top.count, 20)
            XCTAssertEqual(entry.top[0].token, entry.token, "greedy picks the most likely token")
            XCTAssertEqual(entry.top[0].logprob, entry.logprob)
            XCTAssertLessThanOrEqual(entry.logprob, 0)
            let mass = entry.top.reduce(0.0) { $0 + exp(Double($1.logprob)) }
            XCTAssertLessThanOrEqual(mass, 1 + 1e-5)
            XCTAssertEqual(entry.top.map(\.logprob), entry.top.map(\.logprob).sorted(by: >), "most likely first")
        }
        // Without logprobs asked for, none are recorded, and the tokens are the same.
        let plain = try runAlone(request(0, loaded.tokenizer, logprobs: nil), loaded)
        XCTAssertEqual(plain.logprobs, [])
        XCTAssertEqual(plain.tokens, done.tokens)
    }

    func testSampledTokensKeepTheirOwnLogprobAmongTheAlternatives() throws {
        let loaded = try Self.loaded.get()
        let done = try runAlone(request(1, loaded.tokenizer, logprobs: 20), loaded)
        XCTAssertEqual(done.logprobs.count, done.tokens.count)
        for entry in done.logprobs {
            if let ranked = entry.top.first(where: { $0.token == entry.token }) {
                XCTAssertEqual(ranked.logprob, entry.logprob)
            } else {
                XCTAssertLessThanOrEqual(entry.logprob, entry.top.last!.logprob)
            }
        }
    }

    func testLogprobsAreTheSameAloneAndInABatchOf64() throws {
        try assertInvariant(try Self.loaded.get())
    }

    func testRealGemmaLogprobsAreTheSameAloneAndInABatchOf64() throws {
        let loaded = try LoadedModel(path: try RealModel.path())
        try assertInvariant(loaded)
        // Greedy on the real model too: the chosen token is the most likely one.
        let done = try runAlone(request(0, loaded.tokenizer, logprobs: 20), loaded)
        for entry in done.logprobs {
            XCTAssertEqual(entry.top.first?.token, entry.token)
            XCTAssertLessThanOrEqual(entry.top.reduce(0.0) { $0 + exp(Double($1.logprob)) }, 1 + 1e-5)
        }
    }

    private func assertInvariant(_ loaded: LoadedModel) throws {
        var alone: [Int64: [TokenLogprob]] = [:]
        for i in 0..<8 {
            let done = try runAlone(request(i, loaded.tokenizer, logprobs: 5), loaded)
            alone[done.id] = done.logprobs
        }
        let engine = try Engine(model: loaded.model, tokenizer: loaded.tokenizer, options: EngineOptions(
            maxSequences: 64, maxBatchTokens: 96, kvMemoryBytes: 64 << 20, blockSize: 16, prefixCaching: true))
        for i in (0..<64).sorted(by: { ($0 * 29) % 64 < ($1 * 29) % 64 }) {
            try engine.submit(request(i, loaded.tokenizer, logprobs: i >= 8 && i % 3 == 0 ? nil : 5))
        }
        var mixed: [Int64: [TokenLogprob]] = [:]
        while engine.hasWork {
            for done in try engine.step().finished {
                XCTAssertNil(done.error)
                mixed[done.id] = done.logprobs
            }
        }
        XCTAssertGreaterThan(engine.profile.meanSequences, 8, "jobs really shared forward passes")
        for i in 0..<8 {
            XCTAssertFalse(alone[Int64(i)]?.isEmpty ?? true)
            XCTAssertEqual(mixed[Int64(i)], alone[Int64(i)], "job \(i)'s logprobs changed when batched")
        }
    }
}
