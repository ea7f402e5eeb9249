import Foundation
import GGUF
import Kernels
import TestSupport
import XCTest

/// Checks the reader against the real Gemma 3 270M file (facts sheet sections 1 and 2).
/// Skipped when the file is absent, unless JOBS_REQUIRE_MODEL=1.
final class GGUFRealModelTests: XCTestCase {
    func testReadsGemma3HeaderDirectoryAndMetadata() throws {
        let path = try RealModel.path()
        let start = Date()
        let file = try GGUFFile(path: path)
        let seconds = Date().timeIntervalSince(start)
        print("GGUFFile(path:) on \(path): \(String(format: "%.1f", seconds * 1000)) ms")
        XCTAssertLessThan(seconds, 1.0, "opening the model must take well under a second")

        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.fileSize, 253_113_024)
        XCTAssertEqual(file.tensors.count, 236)
        XCTAssertEqual(file.metadata.count, 33)
        XCTAssertEqual(file.alignment, 32)
        XCTAssertEqual(file.dataOffset, 6_525_120)

        let m = file.metadata
        let arch = try m.requireString(GGUFKey.architecture)
        XCTAssertEqual(arch, "gemma3")
        XCTAssertEqual(m.string(GGUFKey.name), "Gemma 3 270m")
        XCTAssertEqual(m.stringArray(GGUFKey.tags), ["gemma3", "gemma", "google", "text-generation"])
        XCTAssertEqual(try m.requireInt(GGUFKey.contextLength(arch)), 32768)
        XCTAssertEqual(try m.requireInt(GGUFKey.embeddingLength(arch)), 640)
        XCTAssertEqual(try m.requireInt(GGUFKey.blockCount(arch)), 18)
        XCTAssertEqual(try m.requireInt(GGUFKey.feedForwardLength(arch)), 2048)
        XCTAssertEqual(try m.requireInt(GGUFKey.headCount(arch)), 4)
        XCTAssertEqual(try m.requireInt(GGUFKey.headCountKV(arch)), 1)
        XCTAssertEqual(try m.requireInt(GGUFKey.keyLength(arch)), 256)
        XCTAssertEqual(try m.requireInt(GGUFKey.valueLength(arch)), 256)
        XCTAssertEqual(try m.requireFloat(GGUFKey.layerNormRMSEpsilon(arch)), 1e-6)
        XCTAssertEqual(try m.requireFloat(GGUFKey.ropeFreqBase(arch)), 1_000_000)
        XCTAssertEqual(try m.requireInt(GGUFKey.slidingWindow(arch)), 512)
        for absent in [GGUFKey.merges, GGUFKey.chatTemplate, GGUFKey.ropeScalingType(arch),
                       GGUFKey.ropeFreqBaseSWA(arch), GGUFKey.slidingWindowPattern(arch),
                       GGUFKey.finalLogitSoftcapping(arch), GGUFKey.ropeDimensionCount(arch)] {
            XCTAssertFalse(m.contains(absent), absent)
        }
        XCTAssertEqual(m.string(GGUFKey.tokenizerModel), "llama")
        XCTAssertEqual(m.string(GGUFKey.tokenizerPre), "default")
        XCTAssertEqual(m.int(GGUFKey.bosTokenID), 2)
        XCTAssertEqual(m.int(GGUFKey.eosTokenID), 1)
        XCTAssertEqual(m.int(GGUFKey.unknownTokenID), 3)
        XCTAssertEqual(m.int(GGUFKey.paddingTokenID), 0)
        XCTAssertEqual(m.bool(GGUFKey.addBOSToken), true)
        XCTAssertEqual(m.bool(GGUFKey.addEOSToken), false)
        XCTAssertEqual(m.bool(GGUFKey.addSpacePrefix), false)
        XCTAssertEqual(m.int(GGUFKey.quantizationVersion), 2)
        XCTAssertEqual(m.int(GGUFKey.fileType), 15)

        let tokens = try m.requireStringArray(GGUFKey.tokens)
        XCTAssertEqual(tokens.count, 262_144)
        XCTAssertEqual(Array(tokens[0...5]), ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "[multimodal]"])
        XCTAssertEqual(tokens[105], "<start_of_turn>")
        XCTAssertEqual(tokens[238], "<0x00>")
        XCTAssertEqual(tokens[506], "▁the")
        XCTAssertEqual(tokens[9259], "Hello")
        XCTAssertEqual(tokens[135746], "人体")
        XCTAssertEqual(tokens[220500], "▁ریکارڈ")
        XCTAssertEqual(tokens[256000], "<end_of_image>")
        let scores = try m.requireFloatArray(GGUFKey.tokenScores)
        XCTAssertEqual(scores.count, 262_144)
        XCTAssertEqual(scores[0], -1000)
        XCTAssertEqual(scores[238], 0)
        let types = try m.requireIntArray(GGUFKey.tokenTypes)
        XCTAssertEqual(types.count, 262_144)
        var histogram = [Int: Int]()
        for t in types { histogram[t, default: 0] += 1 }
        XCTAssertEqual(histogram, [1: 255_474, 3: 6_249, 4: 165, 6: 256])
    }

    func testGemma3TensorShapesTypesAndOffsets() throws {
        let file = try GGUFFile(path: try RealModel.path())
        XCTAssertEqual(file.tensors.first?.name, "output_norm.weight")
        XCTAssertNil(file.tensor(named: "output.weight"))

        let embd = try file.requireTensor("token_embd.weight")
        XCTAssertEqual(embd.shape, [640, 262_144])
        XCTAssertEqual(embd.type, .q8_0)
        XCTAssertEqual(embd.byteCount, 178_257_920)
        XCTAssertEqual(embd.offset, 6_525_120 + 2560)

        var typeCounts = [TensorType: (tensors: Int, bytes: Int)]()
        for tensor in file.tensors {
            let (type, bytes) = try file.typedData(of: tensor)
            typeCounts[type, default: (0, 0)].tensors += 1
            typeCounts[type, default: (0, 0)].bytes += bytes.count
        }
        XCTAssertEqual(typeCounts[.f32]?.tensors, 109)
        XCTAssertEqual(typeCounts[.f32]?.bytes, 223_744)
        XCTAssertEqual(typeCounts[.q5_0]?.tensors, 81)
        XCTAssertEqual(typeCounts[.q5_0]?.bytes, 43_591_680)
        XCTAssertEqual(typeCounts[.q4_K]?.tensors, 27)
        XCTAssertEqual(typeCounts[.q4_K]?.bytes, 13_271_040)
        XCTAssertEqual(typeCounts[.q8_0]?.tensors, 10)
        XCTAssertEqual(typeCounts[.q8_0]?.bytes, 179_824_640)
        XCTAssertEqual(typeCounts[.q6_K]?.tensors, 9)
        XCTAssertEqual(typeCounts[.q6_K]?.bytes, 9_676_800)
        XCTAssertEqual(typeCounts.count, 5)

        let highPrecisionLayers: Set = [0, 1, 4, 7, 10, 13, 15, 16, 17]
        for layer in 0..<18 {
            let q = try file.requireTensor("blk.\(layer).attn_q.weight")
            XCTAssertEqual(q.shape, [640, 1024])
            XCTAssertEqual(q.type, .q5_0)
            XCTAssertEqual(q.byteCount, 450_560)
            XCTAssertEqual(try file.requireTensor("blk.\(layer).attn_k.weight").shape, [640, 256])
            XCTAssertEqual(try file.requireTensor("blk.\(layer).attn_output.weight").type, .q4_K)
            XCTAssertEqual(try file.requireTensor("blk.\(layer).attn_q_norm.weight").shape, [256])
            XCTAssertEqual(try file.requireTensor("blk.\(layer).ffn_gate.weight").shape, [640, 2048])
            let v = try file.requireTensor("blk.\(layer).attn_v.weight")
            let down = try file.requireTensor("blk.\(layer).ffn_down.weight")
            XCTAssertEqual(down.shape, [2048, 640])
            if highPrecisionLayers.contains(layer) {
                XCTAssertEqual(v.type, .q8_0, "layer \(layer)")
                XCTAssertEqual(down.type, .q6_K, "layer \(layer)")
                XCTAssertEqual(down.byteCount, 1_075_200)
            } else {
                XCTAssertEqual(v.type, .q5_0, "layer \(layer)")
                XCTAssertEqual(down.type, .q4_K, "layer \(layer)")
                XCTAssertEqual(down.byteCount, 737_280)
            }
        }

        let norm = try file.typedData(of: file.requireTensor("output_norm.weight")).bytes
        let first4 = (0..<4).map { norm.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        XCTAssertEqual(first4, [7.125, 9.5625, 47.0, 145.0])
        let qNorm = try file.typedData(of: file.requireTensor("blk.0.attn_q_norm.weight")).bytes
        XCTAssertEqual((0..<4).map { qNorm.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) },
                       [1.8828125, 1.6875, 2.1953125, 2.375])
    }
}
