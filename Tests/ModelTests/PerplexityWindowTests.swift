import Foundation
import KVCache
import Model
import TestSupport
import Tokenizer
import XCTest

/// How `Perplexity` builds its windows: BOS replaces a window's first token only when the model
/// adds BOS (`tokenizer.ggml.add_bos_token`), as llama-perplexity does. Forcing BOS onto
/// Qwen2.5, whose file says `add_bos_token = false`, moved its GPL-3 perplexity from 5.31 to 9.23.
final class PerplexityWindowTests: XCTestCase {
    /// Passes batches through to the real tiny model and keeps the tokens of each batch that
    /// starts a window (position 0).
    final class WindowRecorder: LanguageModel, @unchecked Sendable {
        let model: TransformerModel
        var windowStarts: [[Int32]] = []
        init(_ model: TransformerModel) { self.model = model }
        var vocabularySize: Int { model.vocabularySize }
        var contextLength: Int { model.contextLength }
        var kvLayout: KVCacheLayout { model.kvLayout }
        func workingMemoryBytes(tokens: Int, rows: Int) -> Int { model.workingMemoryBytes(tokens: tokens, rows: rows) }
        func reserveWorkingMemory(tokens: Int, rows: Int) { model.reserveWorkingMemory(tokens: tokens, rows: rows) }
        func forward(_ batch: ForwardBatch, cache: KVBlockStorage) throws -> Logits {
            if batch.positions.first == 0 { windowStarts.append(batch.tokens) }
            return try model.forward(batch, cache: cache)
        }
    }

    static let text = String(repeating: "the cat and the dog are sitting in the garden. ", count: 20)
    static let context = 32

    var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = TemporaryDirectory()
    }

    func load(addBOS: Bool, addEOS: Bool = false) throws -> LoadedModel {
        let path = try TinyModel.write(.llama, to: directory.file("bos-\(addBOS)-eos-\(addEOS).gguf"),
                                       addBOS: addBOS, addEOS: addEOS)
        return try LoadedModel(path: path, activations: .float32)
    }

    func testWindowsStartWithBOSWhenTheModelAddsBOS() throws {
        let loaded = try load(addBOS: true)
        let recorder = WindowRecorder(loaded.model)
        let perplexity = Perplexity(model: recorder, tokenizer: loaded.tokenizer, context: Self.context)
        XCTAssertEqual(perplexity.windowStartToken, 2)
        let tokens = perplexity.tokens(of: Self.text)
        XCTAssertEqual(tokens.first, 2, "the text starts with BOS")
        let result = try perplexity.evaluate(tokens)
        XCTAssertEqual(recorder.windowStarts.count, result.windows)
        XCTAssertGreaterThanOrEqual(result.windows, 3)
        for (w, batch) in recorder.windowStarts.enumerated() {
            XCTAssertEqual(batch.first, 2, "window \(w) starts with BOS")
            XCTAssertEqual(Array(batch.dropFirst()), Array(tokens[w * Self.context + 1..<w * Self.context + Self.context / 2]))
        }
    }

    func testWindowsKeepTheirFirstTokenWhenTheModelDoesNotAddBOS() throws {
        let loaded = try load(addBOS: false)
        XCTAssertFalse(loaded.tokenizer.addsBOS)
        XCTAssertEqual(loaded.tokenizer.bosToken, 2, "the file names a BOS it does not add, as Qwen2.5 does")
        let recorder = WindowRecorder(loaded.model)
        let perplexity = Perplexity(model: recorder, tokenizer: loaded.tokenizer, context: Self.context)
        XCTAssertNil(perplexity.windowStartToken)
        let tokens = perplexity.tokens(of: Self.text)
        XCTAssertFalse(tokens.contains(2), "no BOS anywhere in the text")
        let result = try perplexity.evaluate(tokens)
        XCTAssertEqual(recorder.windowStarts.count, result.windows)
        for (w, batch) in recorder.windowStarts.enumerated() {
            XCTAssertEqual(batch, Array(tokens[w * Self.context..<w * Self.context + Self.context / 2]),
                           "window \(w) is the text itself")
        }
    }

    /// The two windowings score the same tokens but see different first tokens, so the figures
    /// differ; this guards against a fix that changes only what is recorded.
    func testTheWindowStartChangesThePerplexity() throws {
        let withBOS = try load(addBOS: true), withoutBOS = try load(addBOS: false)
        let a = Perplexity(model: withBOS.model, tokenizer: withBOS.tokenizer, context: Self.context)
        let b = Perplexity(model: withoutBOS.model, tokenizer: withoutBOS.tokenizer, context: Self.context)
        // The same tokens for both (the BOS-adding one's, without its BOS), so only the window
        // starts differ.
        let tokens = b.tokens(of: Self.text)
        XCTAssertEqual(a.tokens(of: Self.text), [2] + tokens)
        let ra = try a.evaluate(tokens), rb = try b.evaluate(tokens)
        XCTAssertEqual(ra.scoredTokens, rb.scoredTokens)
        XCTAssertNotEqual(ra.perplexity, rb.perplexity)
    }

    func testTextEndsWithEOSWhenTheModelAddsEOS() throws {
        let loaded = try load(addBOS: false, addEOS: true)
        XCTAssertTrue(loaded.tokenizer.addsEOS)
        let tokens = Perplexity(model: loaded.model, tokenizer: loaded.tokenizer).tokens(of: "the cat")
        XCTAssertEqual(tokens.last, 1)
        XCTAssertNotEqual(tokens.first, 2)
    }
}
