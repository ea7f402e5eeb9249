import XCTest
import KVCache
@testable import Engine

final class EngineTests: XCTestCase {
    private typealias H = EngineHarness

    func testFinishedSequenceFreesBlocksInSameStep() throws {
        let model = FakeLanguageModel()
        let engine = try H.engine(model, kvBlocks: 64)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(10, seed: 1),
                                            parameters: .greedy(maxTokens: 3)))
        var finishingStep: StepReport?
        while engine.hasWork {
            let report = try engine.step()
            if !report.finished.isEmpty {
                finishingStep = report
                XCTAssertEqual(engine.runningCount, 0)
                XCTAssertEqual(engine.kvAvailableBlockCount, engine.kvBlockCount, "every block is free or evictable")
            } else {
                XCTAssertLessThan(engine.kvAvailableBlockCount, engine.kvBlockCount)
            }
        }
        let done = try XCTUnwrap(finishingStep?.finished.first)
        XCTAssertEqual(done.finishReason, .length)
        XCTAssertEqual(done.tokens.count, 3)
    }

    func testLogitsOnlyForSampledPositions() throws {
        let model = FakeLanguageModel()
        let engine = try H.engine(model, maxBatchTokens: 8)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(20, seed: 2), parameters: .greedy(maxTokens: 2)))
        _ = try H.run(engine)
        let batches = model.batches
        XCTAssertEqual(batches.map(\.tokens.count), [8, 8, 4, 1])
        XCTAssertEqual(batches.map(\.logitTokens), [[], [], [3], [0]],
                       "prefill chunks that do not reach the last prompt token produce no logits")
        XCTAssertEqual(batches.map { $0.positions.first! }, [0, 8, 16, 20])
    }

    func testChunkedPrefillRespectsTokenBudget() throws {
        let model = FakeLanguageModel()
        let engine = try H.engine(model, maxSequences: 4, maxBatchTokens: 10)
        for id in 0..<4 {
            try engine.submit(GenerationRequest(id: Int64(id), promptTokens: H.prompt(13 + id, seed: id),
                                                parameters: .greedy(maxTokens: 5)))
        }
        let results = try H.run(engine)
        XCTAssertEqual(results.count, 4)
        XCTAssertTrue(model.batches.allSatisfy { $0.tokens.count <= 10 })
        // Prompts of 13–16 tokens enter in chunks while earlier sequences decode: the budget
        // is full until only decode tokens are left (step 1: 10 of sequence 0's 13; step 2: its
        // last 3 and 7 of sequence 1's 14; step 3: 1 decode + 7 + 2 of sequence 2; …).
        XCTAssertEqual(model.batches.map(\.tokens.count), [10, 10, 10, 10, 10, 10, 8, 2, 2, 1, 1])
        XCTAssertEqual(model.batches[1].positions, [10, 11, 12, 0, 1, 2, 3, 4, 5, 6])
    }

    func testRunningSequencesGoBeforeNewAdmissions() throws {
        let model = FakeLanguageModel()
        let engine = try H.engine(model, maxSequences: 4, maxBatchTokens: 6)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(4, seed: 1), parameters: .greedy(maxTokens: 4)))
        _ = try engine.step()
        try engine.submit(GenerationRequest(id: 2, promptTokens: H.prompt(12, seed: 2), parameters: .greedy(maxTokens: 4)))
        _ = try engine.step()
        let second = model.batches[1]
        XCTAssertEqual(second.positions.first, 4, "the running sequence's decode token comes first")
        XCTAssertEqual(second.tokens.count, 6)
        XCTAssertEqual(second.logitTokens, [0], "only the decode token is sampled; the prefill chunk is partial")
    }

    func testPreemptsNewestWhenBlocksRunOut() throws {
        let model = FakeLanguageModel(windows: [nil])
        // 12 blocks of 4 tokens: each sequence grows to 8 + 16 = 24 tokens (6 blocks) and both
        // start with 3, so they cannot both finish without one making room.
        let engine = try H.engine(model, maxSequences: 4, maxBatchTokens: 64, kvBlocks: 10)
        let parameters = SamplingParameters(temperature: 0.8, seed: 7, maxTokens: 16, ignoreEOS: true)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(9, seed: 1), parameters: parameters))
        try engine.submit(GenerationRequest(id: 2, promptTokens: H.prompt(9, seed: 2), parameters: parameters))
        var preempted: [Int64] = []
        let results = try H.run(engine) { preempted += $0.preempted }
        XCTAssertEqual(preempted.first, 2, "the newest sequence makes room")
        XCTAssertFalse(preempted.contains(1))
        XCTAssertEqual(results[2]?.timings.preemptions, preempted.count)
        // Recomputation continues exactly where it stopped.
        for id: Int64 in [1, 2] {
            let alone = try H.engine(FakeLanguageModel(windows: [nil]), kvBlocks: 64)
            try alone.submit(GenerationRequest(id: id, promptTokens: H.prompt(9, seed: Int(id)), parameters: parameters))
            XCTAssertEqual(try H.run(alone)[id]?.tokens, results[id]?.tokens)
        }
    }

    func testSequenceTooLargeForCacheFailsAlone() throws {
        let model = FakeLanguageModel(windows: [nil])
        let engine = try H.engine(model, kvBlocks: 6)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(8, seed: 1),
                                            parameters: SamplingParameters(maxTokens: 40, ignoreEOS: true)))
        try engine.submit(GenerationRequest(id: 2, promptTokens: H.prompt(4, seed: 2), parameters: .greedy(maxTokens: 4)))
        let results = try H.run(engine)
        guard case .exceedsKVCache(let tokens, let prompt, _, let count, _)? = results[1]?.error else {
            return XCTFail("expected exceedsKVCache, got \(String(describing: results[1]?.error))")
        }
        XCTAssertEqual(count, 6)
        XCTAssertGreaterThan(tokens, 24)
        XCTAssertEqual(prompt, 8)
        XCTAssertNil(results[1]?.finishReason)
        XCTAssertTrue(results[1]!.error!.description.contains("raise --kv-memory"))
        XCTAssertTrue(results[1]!.error!.description.hasPrefix("the prompt of 8 tokens and \(tokens - 8) generated need"),
                      results[1]!.error!.description)
        XCTAssertEqual(results[2]?.finishReason, .length)
        XCTAssertEqual(results[2]?.tokens.count, 4)
    }

    func testPromptLongerThanContextFailsAlone() throws {
        let model = FakeLanguageModel(contextLength: 8192)
        let engine = try H.engine(model)
        XCTAssertThrowsError(try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(9000, seed: 1)))) {
            XCTAssertEqual(String(describing: $0), "prompt has 9000 tokens; model context is 8192")
        }
        XCTAssertThrowsError(try engine.submit(GenerationRequest(id: 2, promptTokens: H.prompt(8192, seed: 1))))
        try engine.submit(GenerationRequest(id: 3, promptTokens: H.prompt(5, seed: 1), parameters: .greedy(maxTokens: 2)))
        XCTAssertEqual(try H.run(engine).keys.sorted(), [3])
    }

    func testGenerationStopsWithLengthWhenContextIsFull() throws {
        let model = FakeLanguageModel(contextLength: 32)
        let engine = try H.engine(model)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(29, seed: 1),
                                            parameters: SamplingParameters(maxTokens: 100, ignoreEOS: true)))
        let done = try XCTUnwrap(try H.run(engine)[1])
        XCTAssertEqual(done.finishReason, .length)
        XCTAssertEqual(done.tokens.count, 3)
        XCTAssertTrue(model.batches.allSatisfy { $0.positions.allSatisfy { $0 < 32 } })
    }

    func testStopStringNeverEmitted() throws {
        let prompt = H.prompt(5, seed: 1)
        let text = FakeTokenizer().encode("hello", addSpecial: false, parseSpecial: false)
        let output = text + [FakeTokenizer.space, FakeTokenizer.st, FakeTokenizer.op] + text
        let model = FakeLanguageModel(script: FakeLanguageModel.scripted(output, promptLength: prompt.count))
        let engine = try H.engine(model)
        try engine.submit(GenerationRequest(id: 1, promptTokens: prompt,
                                            parameters: SamplingParameters(temperature: 0, stop: ["STOP"])))
        let done = try XCTUnwrap(try H.run(engine)[1])
        XCTAssertEqual(done.text, "hello ")
        XCTAssertEqual(done.finishReason, .stop)
        XCTAssertEqual(done.tokens, Array(output.prefix(8)), "generation ends at the token completing the stop string")
    }

    /// Streaming: each step's new text, concatenated, is the final text, and text held back
    /// for a possible stop string is never streamed early.
    func testTextDeltasConcatenateToTheFinalText() throws {
        let prompt = H.prompt(5, seed: 1)
        let text = FakeTokenizer().encode("hello", addSpecial: false, parseSpecial: false)
        let output = text + [FakeTokenizer.space, FakeTokenizer.st, 41, 42] + text + [FakeTokenizer.st, FakeTokenizer.op]
        let model = FakeLanguageModel(script: FakeLanguageModel.scripted(output, promptLength: prompt.count))
        let engine = try H.engine(model)
        try engine.submit(GenerationRequest(id: 1, promptTokens: prompt,
                                            parameters: SamplingParameters(temperature: 0, stop: ["STOP"])))
        var streamed = ""
        var deltas = 0
        let done = try XCTUnwrap(try H.run(engine) { report in
            if let delta = report.textDeltas[1] {
                streamed += delta
                deltas += 1
            }
        }[1])
        XCTAssertEqual(done.text, "hello STéhello")
        XCTAssertEqual(streamed, done.text)
        XCTAssertGreaterThan(deltas, 5, "text arrives step by step")
    }

    func testTextThatOnlyStartsLikeStopStringIsEmitted() throws {
        let prompt = H.prompt(5, seed: 1)
        let output = [FakeTokenizer.st] + FakeTokenizer().encode("ar", addSpecial: false, parseSpecial: false)
        let model = FakeLanguageModel(script: FakeLanguageModel.scripted(output, promptLength: prompt.count))
        let engine = try H.engine(model)
        try engine.submit(GenerationRequest(id: 1, promptTokens: prompt,
                                            parameters: SamplingParameters(temperature: 0, stop: ["STOP", "xyz"])))
        let done = try XCTUnwrap(try H.run(engine)[1])
        XCTAssertEqual(done.text, "STar")
        XCTAssertEqual(done.finishReason, .stop, "ended by EOS")
    }

    func testEndOfGenerationTokenIsNotPartOfOutput() throws {
        let prompt = H.prompt(5, seed: 1)
        let output = FakeTokenizer().encode("ok", addSpecial: false, parseSpecial: false) + [FakeTokenizer.endOfTurn]
        let model = FakeLanguageModel(script: FakeLanguageModel.scripted(output, promptLength: prompt.count))
        let engine = try H.engine(model)
        try engine.submit(GenerationRequest(id: 1, promptTokens: prompt, parameters: .greedy()))
        let done = try XCTUnwrap(try H.run(engine)[1])
        XCTAssertEqual(done.text, "ok")
        XCTAssertEqual(done.tokens, Array(output.prefix(2)))
        XCTAssertEqual(done.completionTokenCount, 3)
        XCTAssertEqual(done.finishReason, .stop)
    }

    func testIgnoreEOSKeepsGeneratingToMaxTokens() throws {
        let prompt = H.prompt(5, seed: 1)
        let model = FakeLanguageModel(script: FakeLanguageModel.scripted([], promptLength: prompt.count))
        let engine = try H.engine(model)
        try engine.submit(GenerationRequest(id: 1, promptTokens: prompt,
                                            parameters: SamplingParameters(temperature: 0, maxTokens: 6, ignoreEOS: true)))
        let done = try XCTUnwrap(try H.run(engine)[1])
        XCTAssertEqual(done.tokens, Array(repeating: FakeTokenizer.eos, count: 6))
        XCTAssertEqual(done.finishReason, .length)
    }

    func testCharacterSplitAcrossTokensDecodesWhole() throws {
        let prompt = H.prompt(5, seed: 1)
        let model = FakeLanguageModel(script: FakeLanguageModel.scripted([4, 41, 42, 5], promptLength: prompt.count))
        let engine = try H.engine(model)
        try engine.submit(GenerationRequest(id: 1, promptTokens: prompt, parameters: .greedy()))
        XCTAssertEqual(try H.run(engine)[1]?.text, "aéb")
    }

    func testStopStringAfterSplitCharacter() throws {
        let prompt = H.prompt(5, seed: 1)
        let model = FakeLanguageModel(script: FakeLanguageModel.scripted([4, 41, 42, 5, 6], promptLength: prompt.count))
        let engine = try H.engine(model)
        try engine.submit(GenerationRequest(id: 1, promptTokens: prompt,
                                            parameters: SamplingParameters(temperature: 0, stop: ["éb"])))
        XCTAssertEqual(try H.run(engine)[1]?.text, "a")
    }

    func testSameSeedSameOutput() throws {
        func run(seed: UInt64) throws -> [Int32] {
            let engine = try H.engine(FakeLanguageModel())
            try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(7, seed: 3),
                                                parameters: SamplingParameters(temperature: 1, seed: seed, maxTokens: 24, ignoreEOS: true)))
            return try XCTUnwrap(try H.run(engine)[1]).tokens
        }
        XCTAssertEqual(try run(seed: 42), try run(seed: 42))
        XCTAssertNotEqual(try run(seed: 42), try run(seed: 43))
    }

    func testUnseededRequestReportsItsSeed() throws {
        let engine = try H.engine(FakeLanguageModel())
        let parameters = SamplingParameters(maxTokens: 12, ignoreEOS: true)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(7, seed: 3), parameters: parameters))
        let first = try XCTUnwrap(try H.run(engine)[1])
        var again = parameters
        again.seed = first.seed
        try engine.submit(GenerationRequest(id: 2, promptTokens: H.prompt(7, seed: 3), parameters: again))
        XCTAssertEqual(try H.run(engine)[2]?.tokens, first.tokens)
    }

    func testPrefixCacheReusesSharedPromptAcrossRequests() throws {
        let model = FakeLanguageModel()
        let engine = try H.engine(model)
        let shared = H.prompt(22, seed: 5)
        try engine.submit(GenerationRequest(id: 1, promptTokens: shared, parameters: .greedy(maxTokens: 2)))
        _ = try H.run(engine)
        let before = model.batches.count
        try engine.submit(GenerationRequest(id: 2, promptTokens: shared + [7, 8, 9], parameters: .greedy(maxTokens: 2)))
        let done = try XCTUnwrap(try H.run(engine)[2])
        XCTAssertEqual(done.timings.prefixTokensReused, 20, "five full blocks of four tokens")
        XCTAssertEqual(model.batches[before].positions, [20, 21, 22, 23, 24])

        // Same result as without the cache.
        let cold = try H.engine(FakeLanguageModel(), prefixCaching: false)
        try cold.submit(GenerationRequest(id: 2, promptTokens: shared + [7, 8, 9], parameters: .greedy(maxTokens: 2)))
        let reference = try XCTUnwrap(try H.run(cold)[2])
        XCTAssertEqual(reference.tokens, done.tokens)
        XCTAssertEqual(reference.timings.prefixTokensReused, 0)
    }

    func testSlidingWindowModelKeepsOnlyTheWindow() throws {
        // One full-attention layer and five with a window of 8: 6 KV groups of one layer.
        let model = FakeLanguageModel(windows: [nil, 8, 8, 8, 8, 8])
        // 120 tokens without releasing would need 6 × 30 blocks; with it 30 + 5 × ~4.
        let engine = try H.engine(model, maxBatchTokens: 16, kvBlocks: 60)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(40, seed: 1),
                                            parameters: SamplingParameters(seed: 1, maxTokens: 80, ignoreEOS: true)))
        var leastAvailable = Int.max
        let results = try H.run(engine) { _ in leastAvailable = min(leastAvailable, engine.kvAvailableBlockCount) }
        XCTAssertEqual(results[1]?.tokens.count, 80)
        XCTAssertEqual(results[1]?.timings.preemptions, 0)
        XCTAssertGreaterThanOrEqual(leastAvailable, 60 - 30 - 5 * 4)
    }

    func testCancelFreesBlocksAndSlot() throws {
        let engine = try H.engine(FakeLanguageModel(), maxSequences: 2)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(9, seed: 1), parameters: .greedy(maxTokens: 50)))
        try engine.submit(GenerationRequest(id: 2, promptTokens: H.prompt(9, seed: 2), parameters: .greedy(maxTokens: 50)))
        XCTAssertEqual(engine.freeSequenceSlots, 0)
        _ = try engine.step()
        XCTAssertTrue(engine.cancel(1))
        XCTAssertFalse(engine.cancel(1))
        XCTAssertEqual(engine.runningCount, 1)
        XCTAssertEqual(engine.freeSequenceSlots, 1)
        XCTAssertTrue(engine.cancel(2))
        XCTAssertEqual(engine.kvAvailableBlockCount, engine.kvBlockCount)
        XCTAssertFalse(engine.hasWork)
    }

    func testFreeSequenceSlotsCountsRunningAndWaiting() throws {
        let engine = try H.engine(FakeLanguageModel(), maxSequences: 3)
        XCTAssertEqual(engine.freeSequenceSlots, 3)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(5, seed: 1), parameters: .greedy(maxTokens: 5)))
        try engine.submit(GenerationRequest(id: 2, promptTokens: H.prompt(5, seed: 1), parameters: .greedy(maxTokens: 5)))
        XCTAssertEqual(engine.waitingCount, 2)
        XCTAssertEqual(engine.freeSequenceSlots, 1)
        _ = try engine.step()
        XCTAssertEqual(engine.runningCount, 2)
        XCTAssertEqual(engine.freeSequenceSlots, 1)
    }

    func testBadRequestsFailAtSubmitWithoutAffectingOthers() throws {
        let engine = try H.engine(FakeLanguageModel())
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(5, seed: 1), parameters: .greedy(maxTokens: 3)))
        XCTAssertThrowsError(try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(5, seed: 1)))) {
            XCTAssertEqual($0 as? EngineError, .duplicateRequest(id: 1))
        }
        XCTAssertThrowsError(try engine.submit(GenerationRequest(id: 2, promptTokens: [])))
        XCTAssertThrowsError(try engine.submit(GenerationRequest(id: 3, promptTokens: [2, 64]))) {
            XCTAssertTrue(String(describing: $0).contains("prompt token 64 at position 1"))
        }
        XCTAssertThrowsError(try engine.submit(GenerationRequest(id: 4, promptTokens: [2],
                                                                 parameters: SamplingParameters(topP: 0)))) {
            XCTAssertEqual(String(describing: $0), "top_p is 0.0; expected a number in (0, 1] (1 turns it off)")
        }
        XCTAssertThrowsError(try engine.submit(GenerationRequest(id: 5, promptTokens: [2],
                                                                 parameters: SamplingParameters(stop: ["x", ""]))))
        XCTAssertEqual(try H.run(engine).keys.sorted(), [1])
    }

    func testForwardFailureAdvancesNothing() throws {
        let parameters = SamplingParameters(seed: 3, maxTokens: 6, ignoreEOS: true)
        let model = FakeLanguageModel()
        let engine = try H.engine(model)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(6, seed: 1), parameters: parameters))
        _ = try engine.step()
        model.injectFailures(1)
        XCTAssertThrowsError(try engine.step()) {
            XCTAssertEqual($0 as? EngineError, .forwardFailed("injected failure"))
        }
        let done = try XCTUnwrap(try H.run(engine)[1])
        let reference = try H.engine(FakeLanguageModel())
        try reference.submit(GenerationRequest(id: 1, promptTokens: H.prompt(6, seed: 1), parameters: parameters))
        XCTAssertEqual(try H.run(reference)[1]?.tokens, done.tokens)
    }

    func testFailureFoundWhileSchedulingSurvivesForwardFailure() throws {
        // Sequence 1 (8 prompt tokens) outgrows 6 blocks of 4 tokens when it computes position
        // 24, in step 18; sequence 2 arrives just then and is admitted in the same step.
        let model = FakeLanguageModel(windows: [nil])
        let engine = try H.engine(model, kvBlocks: 6)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(8, seed: 1),
                                            parameters: SamplingParameters(seed: 1, maxTokens: 40, ignoreEOS: true)))
        for _ in 1...17 { XCTAssertTrue(try engine.step().finished.isEmpty) }
        try engine.submit(GenerationRequest(id: 2, promptTokens: H.prompt(4, seed: 2), parameters: .greedy(maxTokens: 2)))
        model.injectFailures(1)
        XCTAssertThrowsError(try engine.step())
        XCTAssertEqual(engine.runningCount, 1)
        let next = try engine.step()
        XCTAssertEqual(next.finished.map(\.id), [1])
        XCTAssertEqual(next.finished.first?.tokens.count, 17, "its tokens so far come with the error")
        guard case .exceedsKVCache? = next.finished.first?.error else { return XCTFail("\(next.finished)") }
        XCTAssertEqual(try H.run(engine)[2]?.tokens.count, 2)
    }

    func testTimingsAndProfileAreFilledIn() throws {
        let model = FakeLanguageModel()
        let engine = try H.engine(model, maxBatchTokens: 8)
        for id in 1...3 {
            try engine.submit(GenerationRequest(id: Int64(id), promptTokens: H.prompt(10, seed: id),
                                                parameters: SamplingParameters(seed: 1, maxTokens: 5, ignoreEOS: true)))
        }
        let results = try H.run(engine)
        for done in results.values {
            let t = done.timings
            XCTAssertGreaterThanOrEqual(t.waitSeconds, 0)
            XCTAssertGreaterThanOrEqual(t.timeToFirstTokenSeconds, t.waitSeconds)
            XCTAssertGreaterThan(t.prefillSeconds, 0)
            XCTAssertGreaterThan(t.decodeSeconds, 0)
            XCTAssertGreaterThan(t.tokensPerSecond, 0)
            XCTAssertGreaterThanOrEqual(t.meanActiveSequences, 1)
            XCTAssertLessThanOrEqual(t.meanActiveSequences, 3)
            XCTAssertEqual(done.promptTokenCount, 10)
            XCTAssertEqual(done.completionTokenCount, 5)
        }
        let profile = engine.profile
        XCTAssertEqual(profile.steps, model.batches.count)
        XCTAssertEqual(profile.total.tokenCount, model.batches.reduce(0) { $0 + $1.tokens.count })
        XCTAssertEqual(profile.total.sampledCount, 15)
        XCTAssertGreaterThan(profile.total.forwardSeconds, 0)
        XCTAssertLessThanOrEqual(profile.total.forwardSeconds + profile.total.samplingSeconds, profile.total.totalSeconds)
        engine.resetProfile()
        XCTAssertEqual(engine.profile, EngineProfile())
    }

    func testEngineBlockSizeOverridesModelDefault() throws {
        let model = FakeLanguageModel(blockSize: 4)
        let engine = try H.engine(model, kvBlocks: 64, blockSize: 8)
        XCTAssertEqual(engine.kvLayout.blockSize, 8)
        XCTAssertEqual(engine.kvLayout.groups, KVCacheLayout(windows: [nil, nil], keyDim: 4, valueDim: 4, blockSize: 8).groups)
        try engine.submit(GenerationRequest(id: 1, promptTokens: H.prompt(20, seed: 1), parameters: .greedy(maxTokens: 4)))
        XCTAssertEqual(try H.run(engine)[1]?.tokens.count, 4)
    }

    /// A stop requested while the KV pool is made resident ends the start with `.stopped`
    /// (jobsd then logs a clean stop), and a pool that waits for its writes never asks.
    func testAStopDuringTheKVPopulateEndsTheStart() {
        let model = FakeLanguageModel()
        XCTAssertThrowsError(try Engine(model: model, tokenizer: FakeTokenizer(), options: EngineOptions(kvMemoryBytes: 256 << 20),
                                        stopRequested: { true })) {
            XCTAssertEqual($0 as? EngineError, .stopped)
            XCTAssertEqual(String(describing: $0), "stopped while the KV memory was being made resident")
        }
        XCTAssertNoThrow(try Engine(model: model, tokenizer: FakeTokenizer(),
                                    options: EngineOptions(kvMemoryBytes: 256 << 20, kvResidency: .onFirstWrite),
                                    stopRequested: { true }))
    }

    /// The KV pool's start check keeps the model's working memory for the largest step free
    /// beside the pool (a 1.5B model at --max-batch-tokens 8192 needs 1.3 GiB of it, which a flat
    /// allowance missed), and the engine allocates that memory at start.
    func testTheStartCheckCountsTheModelsWorkingMemory() throws {
        guard AvailableMemory.now() != nil else { throw XCTSkip("no MemAvailable to check against") }
        let hungry = FakeLanguageModel(extraWorkingMemory: 1 << 50)
        XCTAssertThrowsError(try Engine(model: hungry, tokenizer: FakeTokenizer(), options: EngineOptions(kvMemoryBytes: 1 << 20))) {
            XCTAssertTrue(String(describing: $0).hasPrefix("KV memory of 1 MiB and 1.0 PiB of working memory (activations "
                + "and logits for --max-batch-tokens and --max-seqs, and what the process allocates as it runs) need "), "\($0)")
        }
        let model = FakeLanguageModel()
        let engine = try Engine(model: model, tokenizer: FakeTokenizer(),
                                options: EngineOptions(maxSequences: 8, maxBatchTokens: 100, kvMemoryBytes: 1 << 20))
        XCTAssertEqual(engine.workingMemoryBytes, 4 * 8 * model.vocabularySize + KVBlockStorage.processOverhead)
        XCTAssertEqual(model.logitRowCapacity, 8)
        // A step has at most one logit row per sequence and one token per sequence in it: more
        // sequences than batch tokens never have rows of their own at once.
        let many = FakeLanguageModel()
        let manyEngine = try Engine(model: many, tokenizer: FakeTokenizer(),
                                    options: EngineOptions(maxSequences: 4096, maxBatchTokens: 100, kvMemoryBytes: 1 << 20))
        XCTAssertEqual(manyEngine.workingMemoryBytes, 4 * 100 * many.vocabularySize + KVBlockStorage.processOverhead)
        XCTAssertEqual(many.logitRowCapacity, 100)
    }

    func testKVMemoryTooSmallForOneBlockFailsAtStart() {
        let model = FakeLanguageModel()
        XCTAssertThrowsError(try Engine(model: model, tokenizer: FakeTokenizer(),
                                        options: EngineOptions(kvMemoryBytes: 100, blockSize: 4))) {
            XCTAssertTrue(String(describing: $0).contains("raise --kv-memory"), "\($0)")
        }
        XCTAssertThrowsError(try Engine(model: model, tokenizer: FakeTokenizer(), options: EngineOptions(maxSequences: 0))) {
            // The engine names the option as a value; jobsd's command line turns it into its flag.
            guard case let EngineError.invalidOption(option, value, _)? = $0 as? EngineError else {
                return XCTFail("\($0)")
            }
            XCTAssertEqual(option, .maxSequences)
            XCTAssertEqual(value, 0)
            XCTAssertEqual(String(describing: $0), "maxSequences is 0; expected at least 1")
        }
        // A bf16 cache pairs the positions of a block: an odd block size is refused, not a crash.
        XCTAssertThrowsError(try Engine(model: model, tokenizer: FakeTokenizer(),
                                        options: EngineOptions(blockSize: 5, kvPrecision: .bf16))) {
            XCTAssertEqual(String(describing: $0), "blockSize is 5; expected an even number of tokens with a bf16 KV cache")
        }
    }
}
