import Foundation
import KVCache
import XCTest
import Model
import TestSupport

/// The decoder on the real Gemma 3 270M file, against the numpy reference numbers in
/// shared/notes/gemma3-gguf-facts.md section 7.
final class RealGemmaTests: XCTestCase {
    nonisolated(unsafe) static var loaded: TransformerModel?

    func model() throws -> TransformerModel {
        if let loaded = Self.loaded { return loaded }
        let model = try TransformerModel(path: try RealModel.path())
        Self.loaded = model
        return model
    }

    /// Runs one sequence's tokens in one pass and returns the logits of its last token.
    func lastLogits(_ model: TransformerModel, _ tokens: [Int32]) throws -> [Float] {
        let layout = model.kvLayout
        let cache = try KVBlockStorage(layout: layout,
                                       blockCount: ForwardBatch.Sequence.blockCount(for: layout, positions: tokens.count))
        let sequence = ForwardBatch.Sequence(consecutiveBlocksFor: layout, positions: tokens.count)
        var batch = ForwardBatch()
        batch.append(sequence: sequence, tokens: tokens, startPosition: 0, wantsLogits: true)
        let result = try model.forward(batch, cache: cache)
        return Array(result.logits.row(0))
    }

    func testTopLogitsForFranceMatchReference() throws {
        let model = try model()
        let logits = try lastLogits(model, [2, 818, 5279, 529, 7001, 563])
        let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
        print("top:", top.map { "\($0)=\(logits[$0])" })
        // ▁the 19.091, ▁a 18.548, ▁Paris 18.269 (numpy reference, f32 activations)
        XCTAssertEqual(top.first, 506)
        XCTAssertEqual(logits[506], 19.091, accuracy: 0.05)
        XCTAssertEqual(logits[496], 18.548, accuracy: 0.05)
        let mean = logits.reduce(0, +) / Float(logits.count)
        XCTAssertEqual(mean, -4.00, accuracy: 0.02)
    }
}
