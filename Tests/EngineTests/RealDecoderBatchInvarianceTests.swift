import Engine
import Foundation
import Kernels
import Model
import TestSupport
import Tokenizer
import XCTest

/// Batch invariance with the real decoder (issue #4's test): 16 jobs run alone, then the same
/// 16 mixed among 48 others of different lengths and parameters, submitted while the batch is
/// running, under a small token budget (chunked prefill) and with shared prompt prefixes (prefix
/// cache): greedy and seeded-sampling outputs are identical token for token.
final class RealDecoderBatchInvarianceTests: XCTestCase {
    static let topics = [
        "a lighthouse keeper", "the history of tea", "how bicycles balance", "a rainy market day",
        "the first snowfall", "a lost umbrella", "why bread rises", "a chess tournament", "the northern lights",
        "a small bakery", "learning the violin", "a city at dawn", "the life of bees", "an old library",
        "a mountain train", "recycling glass",
    ]
    static let prefixes = ["Write two sentences about", "Here is a short product description for", "Explain to a child"]

    static func prompt(_ i: Int) -> String {
        let topic = topics[i % topics.count]
        let prefix = prefixes[i % prefixes.count]
        return i % 4 == 3 ? "\(prefix) \(topic), in the style of a newspaper from \(1900 + i):" : "\(prefix) \(topic):"
    }

    static func parameters(_ i: Int, maxTokens: Int) -> SamplingParameters {
        var p: SamplingParameters
        switch i % 6 {
        case 0: p = .greedy()
        case 1: p = SamplingParameters(temperature: 0.9, topK: 40)
        case 2: p = SamplingParameters(temperature: 1.0, topP: 0.9)
        case 3: p = SamplingParameters(temperature: 0.7, minP: 0.1, repetitionPenalty: 1.2)
        case 4: p = SamplingParameters(temperature: 0, presencePenalty: 0.4, frequencyPenalty: 0.2)
        default: p = SamplingParameters(temperature: 1.2, topK: 20, topP: 0.95, minP: 0.02)
        }
        p.seed = UInt64(7_000 + i)
        p.maxTokens = maxTokens - (i % 3) * 2
        p.ignoreEOS = i % 2 == 0
        return p
    }

    func request(_ i: Int, _ tokenizer: any Tokenizer, maxTokens: Int) -> GenerationRequest {
        GenerationRequest(id: Int64(i), promptTokens: tokenizer.encode(Self.prompt(i), addSpecial: true, parseSpecial: false),
                          parameters: Self.parameters(i, maxTokens: maxTokens), priority: i % 5 == 0 ? 1 : 0)
    }

    func assertInvariant(_ model: TransformerModel, _ tokenizer: any Tokenizer, maxTokens: Int,
                         precision: KVPrecision = EngineOptions.defaultKVPrecision,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        var alone: [Int64: [Int32]] = [:]
        for i in 0..<16 {
            let engine = try Engine(model: model, tokenizer: tokenizer, options: EngineOptions(
                maxSequences: 1, maxBatchTokens: 512, kvMemoryBytes: 64 << 20, prefixCaching: false,
                kvPrecision: precision))
            try engine.submit(request(i, tokenizer, maxTokens: maxTokens))
            while engine.hasWork {
                for done in try engine.step().finished {
                    XCTAssertNil(done.error, file: file, line: line)
                    alone[done.id] = done.tokens
                }
            }
        }
        let engine = try Engine(model: model, tokenizer: tokenizer, options: EngineOptions(
            maxSequences: 64, maxBatchTokens: 96, kvMemoryBytes: 256 << 20, blockSize: 16, prefixCaching: true,
            kvPrecision: precision))
        // Subjects are spread among the others, and everything arrives while the batch runs.
        let order = (0..<64).sorted { ($0 * 29) % 64 < ($1 * 29) % 64 }
        var submitted = 0
        var mixed: [Int64: [Int32]] = [:]
        while submitted < order.count || engine.hasWork {
            for _ in 0..<5 where submitted < order.count {
                try engine.submit(request(order[submitted], tokenizer, maxTokens: maxTokens))
                submitted += 1
            }
            for done in try engine.step().finished {
                XCTAssertNil(done.error, file: file, line: line)
                mixed[done.id] = done.tokens
            }
        }
        XCTAssertEqual(mixed.count, 64, file: file, line: line)
        XCTAssertGreaterThan(engine.profile.meanSequences, 8, "jobs really shared forward passes", file: file, line: line)
        for i in 0..<16 {
            XCTAssertEqual(mixed[Int64(i)], alone[Int64(i)], "job \(i) changed when batched", file: file, line: line)
            XCTAssertGreaterThanOrEqual(alone[Int64(i)]?.count ?? 0, 1, file: file, line: line)
        }
    }

    func testTinyModelsOfEveryFamilyAreBatchInvariant() throws {
        let directory = TemporaryDirectory()
        for family in TinyModel.Family.allCases {
            let loaded = try LoadedModel(path: TinyModel.write(family, to: directory.file("\(family).gguf")))
            for precision in KVPrecision.allCases {
                try assertInvariant(loaded.model, loaded.tokenizer, maxTokens: 24, precision: precision)
            }
        }
    }

    func testRealGemmaIsBatchInvariant() throws {
        let loaded = try LoadedModel(path: try RealModel.path())
        try assertInvariant(loaded.model, loaded.tokenizer, maxTokens: 20)
    }
}
