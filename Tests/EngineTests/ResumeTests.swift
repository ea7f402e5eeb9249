import Engine
import Foundation
import Model
import StructuredOutput
import TestSupport
import Tokenizer
import XCTest

/// Token-level resume (issue 12): a sequence interrupted after any step and continued in a new
/// engine from its checkpoint gives what an uninterrupted run gives — tokens, text, finish
/// reason, log-probabilities, token counts and seed — greedy and seeded, with penalties, stop
/// strings and characters split across the checkpoint. A checkpoint that cannot belong to the
/// request is refused with `invalidCheckpoint`, and the engine goes on.
final class ResumeTests: XCTestCase {
    private typealias H = EngineHarness

    private struct Output: Equatable {
        var tokens: [Int32]
        var text: String
        var reason: FinishReason?
        var completionTokens: Int
        var seed: UInt64
        var logprobs: [TokenLogprob]

        init(_ done: FinishedSequence) {
            tokens = done.tokens
            text = done.text
            reason = done.finishReason
            completionTokens = done.completionTokenCount
            seed = done.seed
            logprobs = done.logprobs
        }
    }

    /// Parameters cycling through greedy, the sampling filters, the penalties, stop strings and
    /// log-probabilities.
    private static func fakeRequest(_ i: Int) -> GenerationRequest {
        var p: SamplingParameters
        switch i % 8 {
        case 0: p = .greedy()
        case 1: p = SamplingParameters(temperature: 0.9)
        case 2: p = SamplingParameters(temperature: 0.7, topK: 5, logprobs: 3)
        case 3: p = SamplingParameters(temperature: 1.1, topP: 0.8, stop: ["<50>", "q"])
        case 4: p = SamplingParameters(temperature: 1, minP: 0.2, frequencyPenalty: 0.7)
        case 5: p = SamplingParameters(temperature: 0.8, topK: 20, topP: 0.9, minP: 0.05, repetitionPenalty: 1.3)
        case 6: p = SamplingParameters(temperature: 0, presencePenalty: 0.5, frequencyPenalty: 0.3, logprobs: 0)
        default: p = SamplingParameters(temperature: 1.5, topP: 0.95, stop: ["<5"])
        }
        p.seed = i % 4 == 1 ? nil : UInt64(300 + i)
        p.maxTokens = 10 + (i * 7) % 30
        p.ignoreEOS = i % 3 == 0
        return GenerationRequest(id: Int64(i), promptTokens: H.prompt(5 + (i * 11) % 40, seed: i), parameters: p)
    }

    /// Runs `requests` in one engine for `steps` steps, then continues the unfinished ones in a
    /// second engine from their checkpoints. Returns every output, by id, and the resumed
    /// requests' timings.
    private func interrupted(_ requests: [GenerationRequest], after steps: Int, makeEngine: () throws -> Engine)
        throws -> (outputs: [Int64: Output], resumed: [Int64: (checkpoint: Int, timings: SequenceTimings)]) {
        let first = try makeEngine()
        for request in requests { try first.submit(request) }
        var outputs: [Int64: Output] = [:]
        for _ in 0..<steps where first.hasWork {
            for done in try first.step().finished {
                XCTAssertNil(done.error)
                outputs[done.id] = Output(done)
            }
        }
        let second = try makeEngine()
        var checkpoints: [Int64: Int] = [:]
        for var request in requests where outputs[request.id] == nil {
            let checkpoint = try XCTUnwrap(first.checkpoint(of: request.id))
            XCTAssertEqual(first.generatedCount(of: request.id), checkpoint.tokens.count)
            checkpoints[request.id] = checkpoint.tokens.count
            request.resume = checkpoint
            try second.submit(request)
        }
        var resumed: [Int64: (Int, SequenceTimings)] = [:]
        for (id, done) in try H.run(second) {
            XCTAssertNil(done.error, "\(id): \(done.error!)")
            outputs[id] = Output(done)
            resumed[id] = (checkpoints[id]!, done.timings)
        }
        return (outputs, resumed)
    }

    private func uninterrupted(_ requests: [GenerationRequest], makeEngine: () throws -> Engine) throws -> [Int64: Output] {
        let engine = try makeEngine()
        for request in requests { try engine.submit(request) }
        return try H.run(engine).mapValues(Output.init)
    }

    func testResumeFromAnyStepEqualsTheUninterruptedRun() throws {
        let model = FakeLanguageModel(windows: [nil, 12, 12])
        let makeEngine = { try H.engine(model, maxSequences: 6, maxBatchTokens: 24, kvBlocks: 512) }
        // Unseeded requests get their seed from the first engine: pin it for the comparison.
        let seeded = try uninterrupted((0..<24).map(Self.fakeRequest), makeEngine: makeEngine)
        let requests = (0..<24).map { i in
            var request = Self.fakeRequest(i)
            request.parameters.seed = seeded[Int64(i)]!.seed
            return request
        }
        let reference = try uninterrupted(requests, makeEngine: makeEngine)
        XCTAssertEqual(reference, seeded)
        var resumedCount = 0
        for steps in [1, 2, 5, 9, 17, 30, 55] {
            let run = try interrupted(requests, after: steps, makeEngine: makeEngine)
            XCTAssertEqual(run.outputs.count, requests.count)
            for (id, output) in reference {
                XCTAssertEqual(run.outputs[id], output, "request \(id) interrupted after \(steps) steps")
            }
            for (id, resumed) in run.resumed {
                XCTAssertEqual(resumed.timings.resumedTokens, resumed.checkpoint, "request \(id)")
                XCTAssertEqual(resumed.timings.recomputedTokens, resumed.checkpoint, "a fresh engine caches nothing")
                if resumed.checkpoint > 0 { resumedCount += 1 }
            }
        }
        XCTAssertGreaterThan(resumedCount, 20, "interruptions fell mid-generation")
    }

    func testUnseededRequestResumesWithItsCheckpointsSeed() throws {
        let model = FakeLanguageModel()
        var request = GenerationRequest(id: 1, promptTokens: H.prompt(6, seed: 1),
                                        parameters: SamplingParameters(temperature: 1, maxTokens: 40))
        let first = try H.engine(model)
        try first.submit(request)
        for _ in 0..<10 { _ = try first.step() }
        let checkpoint = try XCTUnwrap(first.checkpoint(of: 1))
        let rest = try H.run(first)[1]!
        request.resume = checkpoint
        let second = try H.engine(model)
        try second.submit(request)
        let resumed = try XCTUnwrap(try H.run(second)[1])
        XCTAssertEqual(resumed.seed, rest.seed)
        XCTAssertEqual(resumed.tokens, rest.tokens)
    }

    /// A script that makes every sequence generate `pattern` over and over (from its first
    /// generated token), whatever the prompt: `ST`, `OP` and the two halves of "é" fall on both
    /// sides of every interruption point tried.
    private static func patternModel(_ pattern: [Int32], promptLength: Int) -> FakeLanguageModel {
        FakeLanguageModel(script: { history, logits in
            for i in 0..<logits.count { logits[i] = -4 }
            let index = (history.count - promptLength) % pattern.count
            logits[Int(pattern[index])] = 6
            logits[Int(pattern[(index + 1) % pattern.count])] = 5
        })
    }

    func testStopStringAndCharacterSpanningTheCheckpoint() throws {
        let a: Int32 = 4, st = FakeTokenizer.st, op = FakeTokenizer.op
        let pattern: [Int32] = [a, 41, 42, a, st, a, st, op, a]
        let model = Self.patternModel(pattern, promptLength: 5)
        let makeEngine = { try H.engine(model) }
        let requests = [
            GenerationRequest(id: 1, promptTokens: H.prompt(5, seed: 1),
                              parameters: SamplingParameters(temperature: 0, seed: 1, maxTokens: 40, stop: ["STOP"])),
            GenerationRequest(id: 2, promptTokens: H.prompt(5, seed: 2),
                              parameters: SamplingParameters(temperature: 0.3, seed: 9, maxTokens: 40, stop: ["aSTa"])),
            GenerationRequest(id: 3, promptTokens: H.prompt(5, seed: 3),
                              parameters: SamplingParameters(temperature: 0, seed: 3, maxTokens: 12, stop: ["é!"])),
        ]
        let reference = try uninterrupted(requests, makeEngine: makeEngine)
        XCTAssertEqual(reference[1]?.text, "aéaSTa", "stopped at the first STOP")
        XCTAssertEqual(reference[1]?.reason, .stop)
        XCTAssertEqual(reference[3]?.reason, .length)
        for steps in 1...9 {
            let run = try interrupted(requests, after: steps, makeEngine: makeEngine)
            XCTAssertEqual(run.outputs, reference, "interrupted after \(steps) steps")
        }
    }

    func testCheckpointOfAFinishedSequenceReplaysToTheSameResult() throws {
        let model = FakeLanguageModel()
        let request = Self.fakeRequest(3)
        let engine = try H.engine(model)
        try engine.submit(request)
        let done = try XCTUnwrap(try H.run(engine)[request.id])
        var again = request
        again.resume = try XCTUnwrap(done.checkpoint)
        XCTAssertEqual(again.resume?.tokens.count, done.completionTokenCount, "the end token is part of it")
        let second = try H.engine(model)
        try second.submit(again)
        let report = try second.step()
        XCTAssertEqual(report.finished.map(Output.init), [Output(done)])
        XCTAssertEqual(report.profile.tokenCount, 0, "nothing left to compute")
        XCTAssertEqual(report.finished.first?.timings.resumedTokens, done.completionTokenCount)
        XCTAssertEqual(report.finished.first?.timings.recomputedTokens, 0)
        XCTAssertFalse(second.hasWork)
    }

    func testCheckpointThatCannotBelongToTheRequestIsRefused() throws {
        let model = FakeLanguageModel()
        var request = GenerationRequest(id: 1, promptTokens: H.prompt(6, seed: 1),
                                        parameters: SamplingParameters(temperature: 0.8, seed: 5, maxTokens: 30, stop: ["q"]))
        let first = try H.engine(model)
        try first.submit(request)
        for _ in 0..<8 { _ = try first.step() }
        let good = try XCTUnwrap(first.checkpoint(of: 1))
        XCTAssertGreaterThan(good.tokens.count, 2)

        var otherSeed = good
        otherSeed.seed = 6
        var outside = good
        outside.tokens[1] = 9_999
        var negative = good
        negative.tokens[0] = -1
        var pastStop = good
        pastStop.tokens.insert(20, at: 1) // 'q' ends generation before the last token
        var zeroState = good
        zeroState.randomState = Xoshiro256StarStar.State(0, 0, 0, 0)
        var strayLogprobs = good
        strayLogprobs.logprobs = [TokenLogprob(token: good.tokens[0], logprob: -1, top: [])]
        var tooMany = good
        tooMany.tokens += Array(repeating: 4, count: 40)
        let cases: [(String, SequenceCheckpoint)] = [
            ("another seed", otherSeed), ("a token outside the vocabulary", outside), ("a negative token", negative),
            ("tokens past a stop string", pastStop), ("an all-zero random state", zeroState),
            ("log-probabilities the request did not ask for", strayLogprobs), ("more tokens than max_tokens", tooMany),
        ]
        let second = try H.engine(model)
        for (name, checkpoint) in cases {
            request.resume = checkpoint
            XCTAssertThrowsError(try second.submit(request), name) { error in
                guard case EngineError.invalidCheckpoint(let reason) = error else {
                    return XCTFail("\(name): \(error)")
                }
                XCTAssertTrue("\(error)".hasPrefix("checkpoint does not fit the request: "), "\(error)")
                XCTAssertFalse(reason.isEmpty)
            }
            XCTAssertFalse(second.hasWork, "\(name): nothing was queued")
        }
        request.resume = good
        try second.submit(request)
        let resumed = try XCTUnwrap(try H.run(second)[1])
        request.resume = nil
        let reference = try uninterrupted([request], makeEngine: { try H.engine(model) })[1]
        XCTAssertEqual(Output(resumed), reference)
    }

    func testLogprobsCheckpointMustMatchItsTokens() throws {
        let model = FakeLanguageModel()
        var request = GenerationRequest(id: 1, promptTokens: H.prompt(6, seed: 1),
                                        parameters: SamplingParameters(temperature: 0, maxTokens: 20, logprobs: 2))
        let first = try H.engine(model)
        try first.submit(request)
        for _ in 0..<6 { _ = try first.step() }
        var checkpoint = try XCTUnwrap(first.checkpoint(of: 1))
        XCTAssertEqual(checkpoint.logprobs.count, checkpoint.tokens.count)
        checkpoint.logprobs.removeLast()
        request.resume = checkpoint
        XCTAssertThrowsError(try H.engine(model).submit(request))
        checkpoint = try XCTUnwrap(first.checkpoint(of: 1))
        checkpoint.logprobs[0].token += 1
        request.resume = checkpoint
        XCTAssertThrowsError(try H.engine(model).submit(request))
    }

    func testResumedTokensFromThePrefixCacheAreNotRecomputed() throws {
        let model = FakeLanguageModel()
        let request = GenerationRequest(id: 1, promptTokens: H.prompt(8, seed: 1),
                                        parameters: SamplingParameters(temperature: 0, maxTokens: 30, ignoreEOS: true))
        let engine = try H.engine(model, blockSize: 4)
        try engine.submit(request)
        for _ in 0..<14 { _ = try engine.step() }
        var again = request
        again.id = 2
        again.resume = try XCTUnwrap(engine.checkpoint(of: 1))
        let resumedTokens = again.resume!.tokens.count
        try engine.submit(again)
        let done = try H.run(engine)
        XCTAssertEqual(done[2]?.tokens, done[1]?.tokens)
        XCTAssertEqual(done[2]?.timings.resumedTokens, resumedTokens)
        let timings = try XCTUnwrap(done[2]?.timings)
        XCTAssertLessThan(timings.recomputedTokens, resumedTokens, "full blocks of the first came from the cache")
        XCTAssertEqual(timings.prefixTokensReused, 8, "the prompt part of the hit")
    }

    // MARK: The real decoder

    func testTinyGemmaResumeEqualsTheUninterruptedRun() throws {
        let directory = TemporaryDirectory()
        let loaded = try LoadedModel(path: TinyModel.write(.gemma3, to: directory.file("tiny.gguf")))
        let makeEngine = {
            try Engine(model: loaded.model, tokenizer: loaded.tokenizer, options: EngineOptions(
                maxSequences: 8, maxBatchTokens: 64, kvMemoryBytes: 32 << 20, blockSize: 16, prefixCaching: true))
        }
        let requests = (0..<12).map { i in
            var parameters = RealDecoderBatchInvarianceTests.parameters(i, maxTokens: 28)
            if i % 4 == 1 { parameters.stop = ["e", "th"] }
            if i % 5 == 2 { parameters.logprobs = 2 }
            return GenerationRequest(
                id: Int64(i),
                promptTokens: loaded.tokenizer.encode(RealDecoderBatchInvarianceTests.prompt(i), addSpecial: true, parseSpecial: false),
                parameters: parameters)
        }
        let reference = try uninterrupted(requests, makeEngine: makeEngine)
        for steps in [2, 7, 16, 25] {
            let run = try interrupted(requests, after: steps, makeEngine: makeEngine)
            for (id, output) in reference {
                XCTAssertEqual(run.outputs[id], output, "request \(id) interrupted after \(steps) steps")
            }
        }
    }

    /// A structured-output sequence resumes with its grammar walked over the replayed tokens:
    /// interrupted anywhere, it ends as the uninterrupted run does (values inside the format),
    /// and a checkpoint whose tokens the format refuses is refused.
    func testStructuredOutputResumesWhereItsGrammarStood() throws {
        let schema = SchemaValue.object([(key: "type", value: .string("integer")),
                                         (key: "minimum", value: .integer(-40)), (key: "maximum", value: .integer(250_000))])
        let format = try OutputFormat.jsonSchema(schema).compile()
        let model = FakeLanguageModel()
        let makeEngine = { try H.engine(model) }
        let requests = (0..<12).map { i in
            var parameters = SamplingParameters(temperature: i % 3 == 0 ? 0 : 1.2, seed: UInt64(70 + i), maxTokens: 4 + i % 9)
            parameters.topK = 0
            return GenerationRequest(id: Int64(i), promptTokens: H.prompt(5 + i, seed: i), parameters: parameters,
                                     outputFormat: format)
        }
        let reference = try uninterrupted(requests, makeEngine: makeEngine)
        XCTAssertTrue(reference.values.contains { $0.reason == .stop })
        for steps in 1...6 {
            let run = try interrupted(requests, after: steps, makeEngine: makeEngine)
            XCTAssertEqual(run.outputs, reference, "interrupted after \(steps) steps")
        }
        // Tokens that do not spell an integer cannot be this request's checkpoint.
        var free = requests[1]
        free.outputFormat = nil
        free.parameters.maxTokens = 8
        let plain = try makeEngine()
        try plain.submit(free)
        let done = try XCTUnwrap(try H.run(plain)[free.id])
        XCTAssertFalse(format.acceptsPrefix(done.text), "the fake model's free text is not a number: \(done.text)")
        var foreign = requests[1]
        foreign.resume = try XCTUnwrap(done.checkpoint)
        XCTAssertThrowsError(try makeEngine().submit(foreign)) { error in
            guard case EngineError.invalidCheckpoint(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("output format"), reason)
        }
    }
}
