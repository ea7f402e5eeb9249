import Engine
import Foundation
import Model
import StructuredOutput
import TestSupport
import XCTest

/// The schema corpus on the real default model (Gemma 3 270M), sampled at temperature 1 with
/// several seeds, all jobs in one batch beside unstructured ones: every output that finished
/// (`stop`) must validate under `IndependentValidator`, every one cut by `max_tokens` must still
/// be a prefix the format allows, and structured jobs give the same tokens alone as in the batch.
final class RealModelCorpusTests: XCTestCase {
    struct Case {
        var prompt: String
        var schema: String
    }

    static let corpus: [Case] = [
        Case(prompt: "Product catalogue entry as JSON:\n", schema: #"{"type": "object", "properties": {"name": {"type": "string", "maxLength": 40}, "price": {"type": "number", "minimum": 0, "maximum": 10000}, "in_stock": {"type": "boolean"}, "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 4}, "category": {"enum": ["kitchen", "garden", "toys", "books"]}}, "required": ["name", "price", "in_stock", "tags", "category"], "additionalProperties": false}"#),
        Case(prompt: "Customer record (JSON) with a nested address:\n", schema: #"{"type": "object", "properties": {"name": {"type": "string", "maxLength": 30}, "age": {"type": "integer", "minimum": 0, "maximum": 120}, "address": {"type": "object", "properties": {"street": {"type": "string", "maxLength": 40}, "city": {"type": "string", "maxLength": 30}, "postcode": {"type": "string", "pattern": "^\\d{5}$"}}, "required": ["street", "city", "postcode"], "additionalProperties": false}}, "required": ["name", "age", "address"], "additionalProperties": false}"#),
        Case(prompt: "FAQ entries for an online shop, as a JSON array:\n", schema: #"{"type": "array", "items": {"type": "object", "properties": {"q": {"type": "string", "maxLength": 60}, "a": {"type": "string", "maxLength": 80}}, "required": ["q", "a"], "additionalProperties": false}, "minItems": 1, "maxItems": 3}"#),
        Case(prompt: "Review: \"The kettle broke after two days.\"\nSentiment (JSON):", schema: #"{"enum": ["positive", "negative", "neutral"]}"#),
        Case(prompt: "Hotel rating as JSON:\n", schema: #"{"type": "object", "properties": {"rating": {"type": "integer", "minimum": 1, "maximum": 5}, "score": {"type": "number", "minimum": -1, "maximum": 1}, "year": {"type": "integer", "minimum": 1900, "maximum": 2100}}, "required": ["rating", "score", "year"], "additionalProperties": false}"#),
        Case(prompt: "Une citation célèbre, en JSON :\n", schema: #"{"type": "object", "properties": {"quote": {"type": "string", "maxLength": 80}, "language": {"enum": ["français", "español", "日本語", "english"]}, "marker": {"const": "il a dit \"oui\"\n"}}, "required": ["quote", "language", "marker"], "additionalProperties": false}"#),
        Case(prompt: "Ticket reference as JSON:\n", schema: #"{"type": "object", "properties": {"id": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "format": "uuid"}]}, "note": {"type": ["string", "null"], "maxLength": 40}}, "required": ["id", "note"], "additionalProperties": false}"#),
        Case(prompt: "A category tree for a bookshop, in JSON:\n", schema: ##"{"$defs": {"category": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20}, "children": {"type": "array", "items": {"$ref": "#/$defs/category"}, "maxItems": 2}}, "required": ["name", "children"], "additionalProperties": false}}, "$ref": "#/$defs/category"}"##),
        Case(prompt: "Calendar event as JSON:\n", schema: #"{"type": "object", "properties": {"event": {"type": "string", "maxLength": 40}, "date": {"type": "string", "format": "date"}, "starts": {"type": "string", "format": "date-time"}}, "required": ["event", "date", "starts"], "additionalProperties": false}"#),
        Case(prompt: "Support contact as JSON:\n", schema: #"{"type": "object", "properties": {"contact": {"type": "string", "format": "email"}, "id": {"type": "string", "format": "uuid"}}, "required": ["contact", "id"], "additionalProperties": false}"#),
        Case(prompt: "Document status as JSON:\n", schema: #"{"type": "object", "properties": {"version": {"const": 2}, "draft": {"type": "boolean"}, "reviewer": {"type": "null"}}, "required": ["version", "draft", "reviewer"], "additionalProperties": false}"#),
        Case(prompt: "Paint product codes as JSON:\n", schema: #"{"type": "object", "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"}, "color": {"type": "string", "pattern": "^#[0-9a-f]{6}$"}}, "required": ["sku", "color"], "additionalProperties": false}"#),
        Case(prompt: "Any settings file as a JSON object:\n", schema: #"{"type": "object"}"#),
        Case(prompt: "Colours of the flag, as a JSON list:\n", schema: #"{"type": "array", "items": {"enum": ["red", "green", "blue", "white"]}, "minItems": 2, "maxItems": 5}"#),
        Case(prompt: "Book metadata as JSON:\n", schema: #"{"type": "object", "properties": {"title": {"type": "string", "maxLength": 30}, "subtitle": {"type": "string", "maxLength": 30}, "pages": {"type": "integer", "minimum": 1, "maximum": 2000}}, "required": ["title"], "additionalProperties": false}"#),
        Case(prompt: "A 2x2 matrix in JSON:\n", schema: #"{"type": "object", "properties": {"matrix": {"type": "array", "items": {"type": "array", "items": {"type": "integer", "minimum": -9, "maximum": 9}, "minItems": 2, "maxItems": 2}, "minItems": 2, "maxItems": 2}}, "required": ["matrix"], "additionalProperties": false}"#),
        Case(prompt: "A short nickname for a cat, as a JSON string:", schema: #"{"type": "string", "minLength": 3, "maximumLength": 12}"#.replacingOccurrences(of: "maximumLength", with: "maxLength")),
    ]

    static let seeds: [UInt64] = [1, 2, 3]
    static let maxTokens = 128

    func testEveryFinishedOutputValidatesAndBatchingChangesNothing() throws {
        XCTAssertGreaterThanOrEqual(Self.corpus.count, 15)
        let loaded = try LoadedModel(path: try RealModel.path())
        var requests: [GenerationRequest] = []
        var schemaOfRequest: [Int64: Int] = [:]
        for (index, entry) in Self.corpus.enumerated() {
            let format = entry.schema == #"{"type": "object"}"# ? try OutputFormat.jsonObject.compile() : try SchemaFixtures.compile(entry.schema)
            for seed in Self.seeds {
                let id = Int64(requests.count)
                let parameters = SamplingParameters(temperature: 1, seed: seed * 1_000 + UInt64(index), maxTokens: Self.maxTokens)
                requests.append(GenerationRequest(id: id, promptTokens: loaded.tokenizer.encode(entry.prompt, addSpecial: true, parseSpecial: false),
                                                  parameters: parameters, outputFormat: format))
                schemaOfRequest[id] = index
            }
        }
        // Unstructured jobs among them.
        for i in 0..<13 {
            let id = Int64(requests.count)
            requests.append(GenerationRequest(id: id, promptTokens: loaded.tokenizer.encode("Write a line about item \(i):", addSpecial: true, parseSpecial: false),
                                              parameters: SamplingParameters(temperature: 1, seed: UInt64(50 + i), maxTokens: 48)))
        }
        let engine = try Engine(model: loaded.model, tokenizer: loaded.tokenizer, options: EngineOptions(
            maxSequences: 64, maxBatchTokens: 256, kvMemoryBytes: 256 << 20, blockSize: 16, prefixCaching: true))
        for request in requests { try engine.submit(request) }
        var results: [Int64: FinishedSequence] = [:]
        while engine.hasWork {
            for done in try engine.step().finished { results[done.id] = done }
        }
        XCTAssertEqual(results.count, requests.count)

        var finished = 0, structured = 0
        var finishedPerSchema = Array(repeating: 0, count: Self.corpus.count)
        for request in requests {
            guard let index = schemaOfRequest[request.id], let done = results[request.id] else { continue }
            structured += 1
            XCTAssertNil(done.error, "\(done.error.map(String.init(describing:)) ?? "")")
            let schemaText = Self.corpus[index].schema
            if done.finishReason == .stop {
                finished += 1
                finishedPerSchema[index] += 1
                guard let value = JSONAny.parse(done.text) else {
                    XCTFail("schema \(index): not JSON: \(done.text)")
                    continue
                }
                let schema = try XCTUnwrap(JSONAny.parse(schemaText))
                let problems = IndependentValidator(root: schema).problems(value, schema)
                XCTAssertEqual(problems, [], "schema \(index): \(done.text)")
            } else {
                XCTAssertEqual(done.finishReason, .length)
                XCTAssertTrue(request.outputFormat!.acceptsPrefix(done.text), "schema \(index): \(done.text)")
            }
        }
        // Most jobs finish within max_tokens, and nearly every schema has finished outputs to
        // check (a small model at temperature 1 may ramble through all seeds of one; which one
        // depends on the kernels' rounding, so the bound leaves room).
        let unfinished = finishedPerSchema.indices.filter { finishedPerSchema[$0] == 0 }
        print("structured corpus: \(finished) of \(structured) jobs finished; schemas without a finished output: \(unfinished)")
        XCTAssertGreaterThan(finished * 3, structured * 2, "\(finished) of \(structured) structured jobs finished")
        XCTAssertLessThanOrEqual(unfinished.count, 2, "schemas with no output finished within \(Self.maxTokens) tokens: \(unfinished)")
        XCTAssertGreaterThan(engine.profile.meanSequences, 16)

        // A few structured jobs alone: the same tokens as in the batch.
        for id in [Int64(0), 22, 40] {
            let alone = try Engine(model: loaded.model, tokenizer: loaded.tokenizer, options: EngineOptions(
                maxSequences: 1, maxBatchTokens: 512, kvMemoryBytes: 64 << 20, prefixCaching: false))
            try alone.submit(requests[Int(id)])
            var tokens: [Int32]?
            while alone.hasWork { for done in try alone.step().finished { tokens = done.tokens } }
            XCTAssertEqual(tokens, results[id]?.tokens, "structured job \(id) changed when batched")
        }
    }

    func testValidatorRejectsWhatItShould() throws {
        let schema = try XCTUnwrap(JSONAny.parse(Self.corpus[1].schema))
        let validator = IndependentValidator(root: schema)
        let good = try XCTUnwrap(JSONAny.parse(#"{"name": "A", "age": 30, "address": {"street": "s", "city": "c", "postcode": "12345"}}"#))
        XCTAssertEqual(validator.problems(good, schema), [])
        for bad in [#"{"name": "A", "age": 130, "address": {"street": "s", "city": "c", "postcode": "12345"}}"#,
                    #"{"name": "A", "age": 3.5, "address": {"street": "s", "city": "c", "postcode": "12345"}}"#,
                    #"{"name": "A", "age": 3, "address": {"street": "s", "city": "c", "postcode": "1234"}}"#,
                    #"{"name": "A", "age": 3, "address": {"street": "s", "city": "c"}}"#,
                    #"{"name": "A", "age": 3, "extra": true, "address": {"street": "s", "city": "c", "postcode": "12345"}}"#,
                    #"{"name": true, "age": 3, "address": {"street": "s", "city": "c", "postcode": "12345"}}"#] {
            XCTAssertNotEqual(validator.problems(try XCTUnwrap(JSONAny.parse(bad)), schema), [], bad)
        }
        XCTAssertFalse(IndependentValidator.formatHolds("date", "2023-02-29"))
        XCTAssertTrue(IndependentValidator.formatHolds("date", "2024-02-29"))
        XCTAssertTrue(IndependentValidator.formatHolds("date-time", "2024-02-29T10:00:00Z"))
        XCTAssertFalse(IndependentValidator.formatHolds("uuid", "123"))
    }
}
