import Foundation
import GGUF
import Kernels
import KVCache
import Model
import TestSupport
import XCTest

/// Forward-pass properties on tiny random models of every family.
final class TinyModelForwardTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = TemporaryDirectory() }

    func load(_ family: TinyModel.Family, shape: TinyModel.Shape = .init(),
              activations: MatrixActivations = .default) throws -> TransformerModel {
        try TransformerModel(path: TinyModel.write(family, to: directory.file("\(family).gguf"), shape: shape),
                             activations: activations)
    }

    /// Hands out consecutive blocks per sequence, in every group.
    struct Allocation {
        let layout: KVCacheLayout
        var next: Int32 = 0
        mutating func tables(positions: Int) -> ForwardBatch.Sequence {
            defer { next += Int32(ForwardBatch.Sequence.blockCount(for: layout, positions: positions)) }
            return ForwardBatch.Sequence(consecutiveBlocksFor: layout, positions: positions, firstBlock: next)
        }
    }

    func cache(for model: TransformerModel, blockSize: Int = 4, blocks: Int = 512,
               precision: KVPrecision = .f32) throws -> KVBlockStorage {
        let c = model.configuration
        return try KVBlockStorage(layout: KVCacheLayout(windows: c.layerWindows, keyDim: c.keyDim, valueDim: c.valueDim,
                                                        blockSize: blockSize, precision: precision), blockCount: blocks)
    }

    /// Block sizes off (4) and on (16) the vector score path, in every KV format.
    static let cacheShapes: [(blockSize: Int, precision: KVPrecision)] = [(4, .f32), (16, .f32), (4, .f16), (16, .f16), (4, .bf16), (16, .bf16)]

    func sequences(_ count: Int, seed: UInt64) -> [[Int32]] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in (0..<(3 + i * 5 % 17)).map { _ in Int32(rng.nextInt(below: TinyModel.vocabularySize)) } }
    }

    func testEveryFamilyLoadsAndGivesFiniteLogitsOfVocabularyWidth() throws {
        for family in TinyModel.Family.allCases {
            let model = try load(family)
            let cache = try cache(for: model)
            var allocation = Allocation(layout: cache.layout)
            var batch = ForwardBatch()
            batch.append(sequence: allocation.tables(positions: 5), tokens: [2, 10, 20, 30, 40], startPosition: 0, wantsLogits: true)
            let logits = try model.forward(batch, cache: cache)
            XCTAssertEqual(logits.rowCount, 1, "\(family)")
            XCTAssertEqual(logits.vocabularySize, TinyModel.vocabularySize)
            XCTAssertTrue(logits.row(0).allSatisfy { $0.isFinite }, "\(family)")
            XCTAssertGreaterThan(Set(logits.row(0)).count, 100, "\(family): logits should differ")
        }
    }

    /// int8 activations (the default) against f32 activations: close, but not equal. Random
    /// tiny models amplify the rounding more than real ones (measured 0.7% of the logit scale on
    /// gemma3, 3.0% llama, 4.6% qwen2; on the real Gemma the top logits move by 0.09), so this
    /// bound is loose; `ReferenceForwardTests` checks the rounding itself tightly.
    func testInt8ActivationsStayCloseToFloatActivations() throws {
        try XCTSkipUnless(MatrixActivations.int8Supported, "this kernel level has no int8 products (AVX-512 without VNNI)")
        for family in TinyModel.Family.allCases {
            var logits: [MatrixActivations: [Float]] = [:]
            for activations in MatrixActivations.allCases {
                let model = try load(family, activations: activations)
                XCTAssertEqual(model.activations, activations)
                let cache = try cache(for: model)
                var allocation = Allocation(layout: cache.layout)
                var batch = ForwardBatch()
                let prompt = sequences(1, seed: 3)[0] + sequences(3, seed: 4)[2]
                batch.append(sequence: allocation.tables(positions: prompt.count), tokens: prompt, startPosition: 0, wantsLogits: true)
                logits[activations] = Array(try model.forward(batch, cache: cache).row(0))
            }
            let exact = logits[.float32]!, int8 = logits[.int8]!
            let scale = exact.map(abs).max()!
            let worst = zip(exact, int8).map { abs($0 - $1) }.max()!
            print("\(family): int8 vs f32 activations, max |difference| \(worst), logit scale \(scale)")
            XCTAssertLessThan(worst, 0.08 * scale, "\(family)")
            XCTAssertNotEqual(exact, int8, "\(family): int8 activations are in use")
        }
    }

    /// A batch without tokens is a forward pass with nothing to do, not a crash.
    func testAnEmptyBatchGivesNoLogits() throws {
        for family in TinyModel.Family.allCases {
            let model = try load(family)
            let cache = try self.cache(for: model, blockSize: 16, precision: .f32)
            XCTAssertEqual(try model.forward(ForwardBatch(), cache: cache).rowCount, 0, "\(family)")
        }
    }

    /// Several sequences prefilled in one batch give bit-identical logits to each one alone.
    func testBatchedSequencesMatchEachSequenceAloneBitForBit() throws {
        for family in TinyModel.Family.allCases {
            for (blockSize, precision) in Self.cacheShapes {
                func cache(for model: TransformerModel) throws -> KVBlockStorage {
                    try self.cache(for: model, blockSize: blockSize, precision: precision)
                }
                let model = try load(family)
                let prompts = sequences(5, seed: 7)
                var alone: [[Float]] = []
                for prompt in prompts {
                    let cache = try cache(for: model)
                    var allocation = Allocation(layout: cache.layout)
                    var batch = ForwardBatch()
                    batch.append(sequence: allocation.tables(positions: prompt.count), tokens: prompt, startPosition: 0, wantsLogits: true)
                    alone.append(Array(try model.forward(batch, cache: cache).row(0)))
                }
                let cache = try cache(for: model)
                var allocation = Allocation(layout: cache.layout)
                var batch = ForwardBatch()
                for prompt in prompts {
                    batch.append(sequence: allocation.tables(positions: prompt.count), tokens: prompt, startPosition: 0, wantsLogits: true)
                }
                let together = try model.forward(batch, cache: cache)
                for (i, expected) in alone.enumerated() {
                    XCTAssertEqual(Array(together.row(i)), expected, "\(family) sequence \(i), \(precision), block \(blockSize)")
                }
            }
        }
    }

    /// Prefill in chunks (and then decoding token by token) gives the same numbers as one pass:
    /// the chunks cut the attention tiles (up to 8 queries) at other places, so a query's
    /// result must not depend on its tile.
    func testChunkedPrefillAndDecodeMatchOnePassBitForBit() throws {
        for family in TinyModel.Family.allCases {
            for (blockSize, precision) in Self.cacheShapes {
                func cache(for model: TransformerModel) throws -> KVBlockStorage {
                    try self.cache(for: model, blockSize: blockSize, precision: precision)
                }
                let model = try load(family)
                let tokens = sequences(1, seed: 3)[0] + sequences(1, seed: 4)[0] + [5, 6, 7, 8, 9, 10, 11, 12]
                    + sequences(3, seed: 5)[2]
                let oneCache = try cache(for: model)
                var oneAllocation = Allocation(layout: oneCache.layout)
                let oneTables = oneAllocation.tables(positions: tokens.count)
                var one = ForwardBatch()
                one.append(sequence: oneTables, tokens: tokens, startPosition: 0, wantsLogits: true)
                let expected = Array(try model.forward(one, cache: oneCache).row(0))

                let cache = try cache(for: model)
                var allocation = Allocation(layout: cache.layout)
                let tables = allocation.tables(positions: tokens.count)
                var start = 0
                var last: [Float] = []
                for size in [3, 1, 7, 2] + Array(repeating: 1, count: tokens.count) where start < tokens.count {
                    let end = min(tokens.count, start + size)
                    var batch = ForwardBatch()
                    batch.append(sequence: tables, tokens: Array(tokens[start..<end]), startPosition: start, wantsLogits: end == tokens.count)
                    let logits = try model.forward(batch, cache: cache)
                    if end == tokens.count { last = Array(logits.row(0)) }
                    start = end
                }
                XCTAssertEqual(last, expected, "\(family), \(precision), block \(blockSize)")
            }
        }
    }

    /// Gemma's sliding-window layers never read keys that left the window, so their blocks
    /// can be released (-1 in the table) without changing anything.
    func testReleasedBlocksOutsideTheWindowAreNeverRead() throws {
        var shape = TinyModel.Shape()
        shape.window = 4
        let model = try load(.gemma3, shape: shape)
        let tokens = sequences(1, seed: 9)[0] + [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        let cache = try cache(for: model, blockSize: 4)
        var allocation = Allocation(layout: cache.layout)
        let tables = allocation.tables(positions: tokens.count + 1)
        var prefill = ForwardBatch()
        prefill.append(sequence: tables, tokens: tokens, startPosition: 0, wantsLogits: false)
        _ = try model.forward(prefill, cache: cache)

        let position = tokens.count
        var full = ForwardBatch()
        full.append(sequence: tables, tokens: [42], startPosition: position, wantsLogits: true)
        let expected = Array(try model.forward(full, cache: cache).row(0))

        var released = tables
        let layout = cache.layout
        for (g, group) in layout.groups.enumerated() where group.window != nil {
            let firstVisible = position - group.window! + 1
            for b in 0..<firstVisible / layout.blockSize { released.blockTables[g][b] = -1 }
        }
        XCTAssertTrue(released.blockTables.flatMap { $0 }.contains(-1))
        var windowed = ForwardBatch()
        windowed.append(sequence: released, tokens: [42], startPosition: position, wantsLogits: true)
        XCTAssertEqual(Array(try model.forward(windowed, cache: cache).row(0)), expected)
    }

    func testUnknownArchitectureIsRejectedWithTheSupportedList() throws {
        var w = GGUFWriter()
        w.add(GGUFKey.architecture, .string("mamba"))
        let path = directory.file("mamba.gguf")
        try w.write(to: path)
        XCTAssertThrowsError(try TransformerModel(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path): unsupported model architecture 'mamba'; supported: gemma3, llama, qwen2, qwen3, phi3")
        }
    }

    func testMissingTensorIsNamed() throws {
        let path = try TinyModel.write(.llama, to: directory.file("full.gguf"))
        let file = try GGUFFile(path: path)
        var w = GGUFWriter()
        for (key, value) in file.metadata.entries { w.add(key, value) }
        for info in file.tensors where info.name != "blk.1.ffn_up.weight" {
            w.addTensor(info.name, shape: info.shape, typeID: info.typeID, bytes: Array(file.data(of: info)))
        }
        let broken = directory.file("broken.gguf")
        try w.write(to: broken)
        XCTAssertThrowsError(try TransformerModel(path: broken)) { error in
            XCTAssertTrue("\(error)".contains("blk.1.ffn_up.weight"), "\(error)")
        }
    }

    func testTensorWithWrongShapeIsReported() throws {
        let path = try TinyModel.write(.qwen2, to: directory.file("full.gguf"))
        let file = try GGUFFile(path: path)
        var w = GGUFWriter()
        for (key, value) in file.metadata.entries { w.add(key, value) }
        for info in file.tensors {
            if info.name == "blk.0.attn_k.bias" {
                w.addTensor(info.name, shape: [8], type: .f32, values: Array(repeating: 0, count: 8))
            } else {
                w.addTensor(info.name, shape: info.shape, typeID: info.typeID, bytes: Array(file.data(of: info)))
            }
        }
        let broken = directory.file("broken.gguf")
        try w.write(to: broken)
        XCTAssertThrowsError(try TransformerModel(path: broken)) { error in
            XCTAssertEqual("\(error)", "\(broken): tensor 'blk.0.attn_k.bias' has shape [8], expected [32]; the file does not match its own metadata (re-convert it)")
        }
    }
}
