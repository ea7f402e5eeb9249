import Foundation
import GGUF
import KVCache
import Model
import TestSupport
import XCTest

/// Our decoder against `Scripts/reference_forward.py --taps` layer by layer: the residual stream
/// after every layer (`l_out`), for every token, so a wrong recipe shows at the layer where it
/// starts rather than only in the logits.
///
/// On a real file, one command: `JOBS_LAYER_MODEL=/path/model.gguf swift test --filter
/// LayerComparisonTests` prints every layer's difference and fails at the first layer beyond the
/// tolerance (f32 activations on our side; the reference needs python3 with numpy and gguf).
final class LayerComparisonTests: XCTestCase {
    /// Of the row's largest |value|, as ReferenceForwardTests allows for logits.
    static let relativeTolerance = 5e-5

    var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        try ReferenceForwardTests.requirePython()
        directory = TemporaryDirectory()
    }

    func testEveryFamilyMatchesTheReferenceAfterEveryLayer() throws {
        for family in TinyModel.Family.allCases {
            let path = try TinyModel.write(family, to: directory.file("\(family)-layers.gguf"), seed: 41)
            try compareLayers(path: path, tokens: [2, 40, 71, 300, 12, 99, 5, 280, 281, 16])
        }
    }

    /// A planted difference shows at its layer: the model with layer 1's FFN-down weights taken
    /// from another seed's model matches the reference at layer 0 and differs at layer 1.
    func testADifferenceShowsAtItsLayer() throws {
        let path = try TinyModel.write(.qwen2, to: directory.file("qwen2.gguf"), seed: 42)
        let other = try GGUFFile(path: TinyModel.write(.qwen2, to: directory.file("qwen2-other.gguf"), seed: 43))
        let file = try GGUFFile(path: path)
        var w = GGUFWriter()
        for (key, value) in file.metadata.entries { w.add(key, value) }
        for info in file.tensors {
            let source = info.name == "blk.1.ffn_down.weight" ? other : file
            let sourceInfo = try source.requireTensor(info.name)
            w.addTensor(info.name, shape: info.shape, typeID: info.typeID, bytes: Array(source.data(of: sourceInfo)))
        }
        let planted = directory.file("qwen2-planted.gguf")
        try w.write(to: planted)
        let tokens: [Int32] = [2, 40, 71, 300]
        let reference = try referenceLayers(path: path, tokens: tokens)
        let ours = try ourLayers(path: planted, tokens: tokens)
        XCTAssertLessThanOrEqual(Self.difference(ours[0], reference[0]), Self.relativeTolerance)
        XCTAssertGreaterThan(Self.difference(ours[1], reference[1]), 100 * Self.relativeTolerance)
    }

    func testFileNamedByJOBS_LAYER_MODEL() throws {
        guard let path = ProcessInfo.processInfo.environment["JOBS_LAYER_MODEL"], !path.isEmpty else {
            throw XCTSkip("set JOBS_LAYER_MODEL=/path/model.gguf to compare a real file layer by layer")
        }
        let loaded = try LoadedModel(path: path, activations: .float32)
        let tokens = loaded.tokenizer.encode("The capital of France is", addSpecial: true, parseSpecial: false)
        try compareLayers(path: path, tokens: tokens)
    }

    // MARK: - Comparison

    func compareLayers(path: String, tokens: [Int32], file: StaticString = #filePath, line: UInt = #line) throws {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let ours = try ourLayers(path: path, tokens: tokens)
        let reference = try referenceLayers(path: path, tokens: tokens)
        XCTAssertEqual(ours.count, reference.count, "\(name): layers", file: file, line: line)
        for (il, (mine, expected)) in zip(ours, reference).enumerated() {
            let difference = Self.difference(mine, expected)
            print("\(name) l_out \(il): max relative difference \(difference)")
            guard difference <= Self.relativeTolerance else {
                return XCTFail("\(name): layer \(il) is the first to differ from the reference (l_out, \(difference) of the row scale)",
                               file: file, line: line)
            }
        }
    }

    /// Largest |ours − reference| of any token, relative to that token's largest |value| (floored at 1).
    static func difference(_ ours: [[Float]], _ reference: [[Double]]) -> Double {
        zip(ours, reference).map { mine, expected in
            let scale = max(1, expected.map(abs).max() ?? 0)
            return (zip(mine, expected).map { abs(Double($0) - $1) }.max() ?? 0) / scale
        }.max() ?? .infinity
    }

    func ourLayers(path: String, tokens: [Int32]) throws -> [[[Float]]] {
        let model = try TransformerModel(path: path, activations: .float32)
        let layout = model.kvLayout
        let cache = try KVBlockStorage(layout: layout,
                                       blockCount: ForwardBatch.Sequence.blockCount(for: layout, positions: tokens.count))
        var batch = ForwardBatch()
        batch.append(sequence: ForwardBatch.Sequence(consecutiveBlocksFor: layout, positions: tokens.count),
                     tokens: tokens, startPosition: 0, wantsLogits: true)
        let tap = LayerTap()
        _ = try model.forward(batch, cache: cache, tap: tap)
        return tap.layers
    }

    struct ReferenceTaps: Decodable {
        struct Taps: Decodable { var l_out: [[[Double]]] }
        var taps: Taps
    }

    func referenceLayers(path: String, tokens: [Int32]) throws -> [[[Double]]] {
        let arguments = [ReferenceForwardTests.script, path, "--tokens", tokens.map(String.init).joined(separator: ","),
                         "--top", "1", "--taps"]
        let (status, output, errors) = try ReferenceForwardTests.runPython(arguments, in: directory)
        guard status == 0 else {
            throw ReferenceForwardTests.ReferenceFailure("python3 \(arguments.joined(separator: " ")) exited with \(status): \(errors)")
        }
        return try JSONDecoder().decode(ReferenceTaps.self, from: output).taps.l_out
    }
}
