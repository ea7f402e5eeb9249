import XCTest
@testable import Engine

/// Builds engines over the fakes and drives them to the end.
enum EngineHarness {
    /// KV memory for `blocks` blocks of the model's layout at the given block size.
    static func kvBytes(blocks: Int, model: FakeLanguageModel, blockSize: Int = 4) -> Int {
        let layout = model.kvLayout
        return blocks * layout.layersPerGroup * blockSize * (layout.keyDim + layout.valueDim) * MemoryLayout<Float>.size
    }

    static func engine(_ model: FakeLanguageModel, maxSequences: Int = 8, maxBatchTokens: Int = 64,
                       kvBlocks: Int = 256, blockSize: Int = 4, prefixCaching: Bool = true) throws -> Engine {
        let options = EngineOptions(maxSequences: maxSequences, maxBatchTokens: maxBatchTokens,
                                    kvMemoryBytes: kvBytes(blocks: kvBlocks, model: model, blockSize: blockSize),
                                    // The fake model's keys hold exact integers (positions, chain
                                    // hashes) that an f16 cache would round.
                                    blockSize: blockSize, prefixCaching: prefixCaching, kvPrecision: .f32)
        return try Engine(model: model, tokenizer: FakeTokenizer(vocabularySize: model.vocabularySize), options: options)
    }

    /// Steps until the engine is empty; every report's finished sequences, by id.
    static func run(_ engine: Engine, maxSteps: Int = 20_000,
                    onStep: (StepReport) -> Void = { _ in }) throws -> [Int64: FinishedSequence] {
        var results: [Int64: FinishedSequence] = [:]
        var steps = 0
        while engine.hasWork {
            steps += 1
            guard steps <= maxSteps else {
                XCTFail("engine did not finish in \(maxSteps) steps")
                break
            }
            let report = try engine.step()
            onStep(report)
            for sequence in report.finished {
                XCTAssertNil(results[sequence.id], "sequence \(sequence.id) finished twice")
                results[sequence.id] = sequence
            }
        }
        return results
    }

    /// A prompt of `count` tokens: BOS, then letters from `seed`.
    static func prompt(_ count: Int, seed: Int) -> [Int32] {
        [FakeTokenizer.bos] + (1..<count).map { Int32(4 + (seed * 7 + $0 * 3) % 26) }
    }
}
