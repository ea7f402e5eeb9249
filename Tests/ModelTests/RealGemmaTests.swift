import Foundation
import KVCache
import XCTest
import Model
import TestSupport

/// The decoder on the real Gemma 3 270M file, against the numpy reference numbers in
/// shared/notes/gemma3-gguf-facts.md section 7.
final class RealGemmaTests: XCTestCase {
    nonisolated(unsafe) static var loaded: [MatrixActivations: TransformerModel] = [:]

    func model(_ activations: MatrixActivations) throws -> TransformerModel {
        if let loaded = Self.loaded[activations] { return loaded }
        let model = try TransformerModel(path: try RealModel.path(), activations: activations)
        Self.loaded[activations] = model
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
        let logits = try model.forward(batch, cache: cache)
        return Array(logits.row(0))
    }

    static let france: [Int32] = [2, 818, 5279, 529, 7001, 563]

    func testTopLogitsForFranceMatchReference() throws {
        let logits = try lastLogits(try model(.float32), Self.france)
        let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
        print("top:", top.map { "\($0)=\(logits[$0])" })
        // ▁the 19.091, ▁a 18.548, ▁Paris 18.269 (numpy reference, f32 activations)
        XCTAssertEqual(top.first, 506)
        XCTAssertEqual(logits[506], 19.091, accuracy: 0.05)
        XCTAssertEqual(logits[496], 18.548, accuracy: 0.05)
        let mean = logits.reduce(0, +) / Float(logits.count)
        XCTAssertEqual(mean, -4.00, accuracy: 0.02)
    }

    /// With int8 activations (the default where the kernel level has int8 products) the same two tokens lead and
    /// their logits move by less than 0.1 (measured +0.09 and +0.07; the vocabulary mean moves
    /// to −3.91): hidden states have outliers of a few hundred, and a group of 32 that holds one
    /// rounds its small neighbours to steps of outlier/127, as llama.cpp's Q8 activations do.
    /// Perplexity (`RealGemmaAcceptanceTests`) is the measure of quality that matters; this
    /// catches gross mistakes.
    func testTopLogitsForFranceWithInt8ActivationsStayNearReference() throws {
        try XCTSkipUnless(MatrixActivations.int8Supported, "this kernel level has no int8 products (AVX-512 without VNNI)")
        let model = try model(.int8)
        XCTAssertEqual(model.activations, .int8)
        let logits = try lastLogits(model, Self.france)
        let top = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
        print("top:", top.map { "\($0)=\(logits[$0])" })
        XCTAssertEqual(Array(top.prefix(2)), [506, 496])
        XCTAssertEqual(logits[506], 19.091, accuracy: 0.15)
        XCTAssertEqual(logits[496], 18.548, accuracy: 0.15)
        let mean = logits.reduce(0, +) / Float(logits.count)
        XCTAssertEqual(mean, -4.00, accuracy: 0.15)
        let exact = try lastLogits(try self.model(.float32), Self.france)
        XCTAssertNotEqual(logits, exact, "int8 activations are in use")
    }
}
