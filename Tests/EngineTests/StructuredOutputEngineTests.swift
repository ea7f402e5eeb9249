@testable import Engine
import StructuredOutput
import XCTest

/// Structured output through the engine with the fake model and tokenizer (digits, letters,
/// a space; no quotes), so the formats here are numbers: the mask keeps every sampled token
/// inside the format, a complete value stops the job, `max_tokens` cuts an incomplete one with
/// `length`, and a structured job's tokens do not depend on its batch.
final class StructuredOutputEngineTests: XCTestCase {
    func format(_ schema: SchemaValue) throws -> CompiledOutputFormat {
        try OutputFormat.jsonSchema(schema).compile()
    }

    func integerFormat(minimum: Int64, maximum: Int64) throws -> CompiledOutputFormat {
        try format(.object([(key: "type", value: .string("integer")), (key: "minimum", value: .integer(minimum)),
                            (key: "maximum", value: .integer(maximum))]))
    }

    func request(_ id: Int64, format: CompiledOutputFormat?, seed: UInt64, maxTokens: Int = 12,
                 temperature: Float = 1) -> GenerationRequest {
        var parameters = SamplingParameters(temperature: temperature, seed: seed, maxTokens: maxTokens)
        parameters.topK = 0
        return GenerationRequest(id: id, promptTokens: EngineHarness.prompt(5 + Int(id % 7), seed: Int(id)),
                                 parameters: parameters, outputFormat: format)
    }

    func testOutputsStayInsideTheFormatAndStopWhenComplete() throws {
        let model = FakeLanguageModel()
        let engine = try EngineHarness.engine(model)
        let bounded = try integerFormat(minimum: -40, maximum: 250)
        for id in 0..<24 { try engine.submit(request(Int64(id), format: bounded, seed: UInt64(id), maxTokens: 30)) }
        let results = try EngineHarness.run(engine)
        XCTAssertEqual(results.count, 24)
        var stopped = 0
        for (_, done) in results {
            XCTAssertNil(done.error)
            let text = done.text
            if done.finishReason == .stop {
                stopped += 1
                let value = Int(text.trimmingCharacters(in: .whitespaces))
                XCTAssertNotNil(value, "not an integer: \(text)")
                if let value { XCTAssertTrue((-40...250).contains(value), text) }
            } else {
                XCTAssertTrue(bounded.acceptsPrefix(text), "not a prefix of the format: \(text)")
            }
        }
        XCTAssertGreaterThan(stopped, 12, "most jobs complete a number in 30 tokens")
    }

    func testAValueThatCannotFitInMaxTokensEndsWithLength() throws {
        let model = FakeLanguageModel()
        let engine = try EngineHarness.engine(model)
        // At least six digits, written one token at a time, in at most four tokens.
        let large = try integerFormat(minimum: 100_000, maximum: 999_999)
        for id in 0..<4 { try engine.submit(request(Int64(id), format: large, seed: UInt64(id), maxTokens: 4)) }
        let results = try EngineHarness.run(engine)
        for (_, done) in results {
            XCTAssertNil(done.error)
            XCTAssertEqual(done.finishReason, .length)
            XCTAssertEqual(done.tokens.count, 4)
            XCTAssertTrue(large.acceptsPrefix(done.text), done.text)
            XCTAssertFalse(large.accepts(done.text))
        }
    }

    func testGreedyTakesTheBestAllowedToken() throws {
        // The model always prefers "a"; the format allows only digits and space first.
        let model = FakeLanguageModel { _, logits in
            for i in logits.indices { logits[i] = Float(i % 5) }
            logits[4] = 100
            logits[31] = 50  // "1"
            logits[33] = 40  // "3"
        }
        let engine = try EngineHarness.engine(model)
        try engine.submit(request(1, format: try integerFormat(minimum: 0, maximum: 1_000), seed: 1, maxTokens: 10, temperature: 0))
        let done = try XCTUnwrap(try EngineHarness.run(engine)[1])
        // "1" while it fits; no digit can follow "111" (1110 > 1000): the value is complete and
        // the job stops without sampling an end token.
        XCTAssertEqual(done.text, "111")
        XCTAssertEqual(done.finishReason, .stop)
        XCTAssertEqual(done.completionTokenCount, 3)
    }

    func testStructuredJobsAreBatchInvariantAmongUnstructuredOnes() throws {
        let model = FakeLanguageModel()
        let number = try integerFormat(minimum: -5_000, maximum: 5_000)
        let any = try format(.object([(key: "type", value: .string("number"))]))
        func job(_ id: Int64) -> GenerationRequest {
            switch id % 3 {
            case 0: return request(id, format: number, seed: 100 + UInt64(id), maxTokens: 16)
            case 1: return request(id, format: any, seed: 100 + UInt64(id), maxTokens: 16)
            default: return request(id, format: nil, seed: 100 + UInt64(id), maxTokens: 16)
            }
        }
        var alone: [Int64: [Int32]] = [:]
        for id in Int64(0)..<12 {
            let engine = try EngineHarness.engine(model, maxSequences: 1)
            try engine.submit(job(id))
            alone[id] = try EngineHarness.run(engine)[id]?.tokens
        }
        let engine = try EngineHarness.engine(model, maxSequences: 16, maxBatchTokens: 24)
        for id in Int64(0)..<40 { try engine.submit(job(id)) }
        let mixed = try EngineHarness.run(engine)
        for id in Int64(0)..<12 {
            XCTAssertEqual(mixed[id]?.tokens, alone[id], "job \(id) changed in a batch")
        }
        XCTAssertGreaterThan(engine.profile.total.maskedCount, 0)
    }
}
