import GGUF
import Kernels
import TestSupport
import XCTest

final class GGUFFileTests: XCTestCase {
    private var files: GGUFTestFiles!

    override func setUpWithError() throws { files = try GGUFTestFiles() }
    override func tearDown() { files = nil }

    private let everyValue: [(String, GGUFValue)] = [
        ("t.u8", .uint8(200)), ("t.i8", .int8(-100)), ("t.u16", .uint16(60_000)),
        ("t.i16", .int16(-30_000)), ("t.u32", .uint32(4_000_000_000)), ("t.i32", .int32(-2_000_000_000)),
        ("t.u64", .uint64(UInt64.max)), ("t.i64", .int64(Int64.min)), ("t.f32", .float32(1e-6)),
        ("t.f64", .float64(-2.5e300)), ("t.bool", .bool(true)), ("t.string", .string("héllo ▁world")),
        ("t.empty", .string("")),
        ("t.a.u8", .array(.uint8([1, 2, 255]))), ("t.a.i8", .array(.int8([-128, 127]))),
        ("t.a.u16", .array(.uint16([65535]))), ("t.a.i16", .array(.int16([-1, 2]))),
        ("t.a.u32", .array(.uint32([7, 8]))), ("t.a.i32", .array(.int32([-7, 8, 1 << 30]))),
        ("t.a.u64", .array(.uint64([1 << 40]))), ("t.a.i64", .array(.int64([-(1 << 40)]))),
        ("t.a.f32", .array(.float32([0.5, -0.0, .infinity]))), ("t.a.f64", .array(.float64([1e-300]))),
        ("t.a.bool", .array(.bool([true, false, true]))), ("t.a.string", .array(.string(["a", "", "▁b"]))),
        ("t.a.empty", .array(.float32([]))),
        ("t.a.nested", .array(.array([.string(["x", "y"]), .int32([1]), .array([.bool([false])])]))),
    ]

    func testRoundTripsEveryMetadataValueTypeInFileOrder() throws {
        var writer = GGUFWriter()
        for (key, value) in everyValue { writer.add(key, value) }
        let file = try files.open(writer.encoded())

        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.metadata.keys, everyValue.map(\.0))
        for (key, value) in everyValue {
            XCTAssertEqual(file.metadata[key], value, key)
        }
        XCTAssertTrue(file.tensors.isEmpty)
    }

    func testReadsTensorDirectoryWithShapesTypesOffsetsAndBytes() throws {
        var rng = SplitMix64(seed: 1)
        var writer = GGUFWriter()
        writer.add(GGUFKey.architecture, .string("llama"))
        let norm = (0..<64).map { Float($0) / 8 }
        writer.addTensor("output_norm.weight", shape: [64], type: .f32, values: norm)
        let embd = writer.addRandomTensor("token_embd.weight", shape: [64, 10], type: .q8_0, using: &rng)
        let down = writer.addRandomTensor("blk.0.ffn_down.weight", shape: [256, 3], type: .q6_K, using: &rng)
        let scalar = writer.addRandomTensor("scalar", shape: [], type: .f16, using: &rng)
        let file = try files.open(writer.encoded())

        XCTAssertEqual(file.tensors.map(\.name),
                       ["output_norm.weight", "token_embd.weight", "blk.0.ffn_down.weight", "scalar"])
        let embdInfo = try file.requireTensor("token_embd.weight")
        XCTAssertEqual(embdInfo.shape, [64, 10])
        XCTAssertEqual(embdInfo.type, .q8_0)
        XCTAssertEqual(embdInfo.typeID, 8)
        XCTAssertEqual(embdInfo.typeName, "Q8_0")
        XCTAssertEqual(embdInfo.elementCount, 640)
        XCTAssertEqual(embdInfo.byteCount, 10 * 2 * 34)
        XCTAssertEqual(embdInfo.rowLength, 64)
        XCTAssertEqual(embdInfo.rowCount, 10)
        XCTAssertEqual(Array(file.data(of: embdInfo)), embd)
        XCTAssertEqual(Array(file.data(of: try file.requireTensor("blk.0.ffn_down.weight"))), down)
        XCTAssertEqual(Array(file.data(of: try file.requireTensor("scalar"))), scalar)
        XCTAssertEqual(try file.requireTensor("scalar").elementCount, 1)

        let normInfo = try XCTUnwrap(file.tensor(named: "output_norm.weight"))
        let (type, bytes) = try file.typedData(of: normInfo)
        XCTAssertEqual(type, .f32)
        XCTAssertEqual(bytes.count, 256)
        XCTAssertEqual(bytes.loadUnaligned(fromByteOffset: 4 * 9, as: Float.self), norm[9])

        XCTAssertEqual(file.alignment, 32)
        XCTAssertEqual(file.dataOffset % 32, 0)
        XCTAssertEqual(file.fileSize, try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int)
        for tensor in file.tensors {
            XCTAssertEqual((tensor.offset - file.dataOffset) % 32, 0, tensor.name)
        }
    }

    func testHonoursGeneralAlignment() throws {
        var rng = SplitMix64(seed: 2)
        var writer = GGUFWriter(alignment: 64)
        let first = writer.addRandomTensor("a", shape: [3], type: .f32, using: &rng)
        let second = writer.addRandomTensor("b", shape: [32], type: .q4_0, using: &rng)
        let file = try files.open(writer.encoded())

        XCTAssertEqual(file.metadata.int(GGUFKey.alignment), 64)
        XCTAssertEqual(file.alignment, 64)
        XCTAssertEqual(file.dataOffset % 64, 0)
        XCTAssertEqual(try file.requireTensor("b").offset, file.dataOffset + 64)
        XCTAssertEqual(Array(file.data(of: try file.requireTensor("a"))), first)
        XCTAssertEqual(Array(file.data(of: try file.requireTensor("b"))), second)
    }

    func testReadsVersion2() throws {
        var writer = GGUFWriter(version: 2)
        writer.add("k", .string("v"))
        writer.addTensor("t", shape: [2], type: .f32, values: [1, 2])
        let file = try files.open(writer.encoded())
        XCTAssertEqual(file.version, 2)
        XCTAssertEqual(file.metadata.string("k"), "v")
        XCTAssertEqual(file.tensors.count, 1)
    }

    func testOpensFileWithUnreadableTensorTypesButRefusesTheirData() throws {
        var rng = SplitMix64(seed: 3)
        var writer = GGUFWriter()
        writer.addRandomTensor("blk.0.attn_q.weight", shape: [256, 2], type: .q2_K, using: &rng)
        writer.addTensor("iq", shape: [256], typeID: 16, bytes: rng.bytes(66))  // IQ2_XXS
        writer.addTensor("future", shape: [8], typeID: 77, bytes: rng.bytes(8))
        let file = try files.open(writer.encoded())

        let q2 = try file.requireTensor("blk.0.attn_q.weight")
        XCTAssertEqual(q2.type, .q2_K)
        XCTAssertEqual(q2.byteCount, 2 * 84)
        XCTAssertThrowsError(try file.typedData(of: q2)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("tensor 'blk.0.attn_q.weight' in \(file.path) has type Q2_K (10), which this build cannot read"),
                          message)
            XCTAssertTrue(message.contains("supported: F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, BF16"),
                          message)
        }

        let iq = try file.requireTensor("iq")
        XCTAssertNil(iq.type)
        XCTAssertEqual(iq.typeName, "IQ2_XXS")
        XCTAssertEqual(iq.byteCount, 66)
        XCTAssertThrowsError(try file.typedData(of: iq)) { error in
            XCTAssertTrue("\(error)".contains("has type IQ2_XXS (16)"), "\(error)")
        }

        let future = try file.requireTensor("future")
        XCTAssertNil(future.typeName)
        XCTAssertNil(future.byteCount)
        XCTAssertThrowsError(try file.typedData(of: future)) { error in
            XCTAssertTrue("\(error)".contains("tensor 'future' in \(file.path) has type id 77, which this build does not know"), "\(error)")
        }
    }

    func testMissingTensorErrorNamesFileAndTensor() throws {
        var writer = GGUFWriter()
        writer.addTensor("present", shape: [1], type: .f32, values: [1])
        let file = try files.open(writer.encoded())
        XCTAssertNil(file.tensor(named: "output.weight"))
        XCTAssertThrowsError(try file.requireTensor("output.weight")) { error in
            XCTAssertEqual(error as? GGUFError, .missingTensor(path: file.path, name: "output.weight"))
            XCTAssertTrue("\(error)".contains("\(file.path) has no tensor 'output.weight'"), "\(error)")
        }
    }

    func testFileWithoutTensorsNeedsNoDataPadding() throws {
        var writer = GGUFWriter()
        writer.add("general.name", .string("x"))
        var bytes = writer.encoded()
        let unpadded = 24 + 8 + 12 + 4 + 8 + 1
        XCTAssertGreaterThan(bytes.count, unpadded)
        bytes.removeLast(bytes.count - unpadded)
        let file = try files.open(bytes)
        XCTAssertEqual(file.metadata.string("general.name"), "x")
    }

    func testArchitectureShortcutReadsGeneralArchitecture() throws {
        var writer = GGUFWriter()
        writer.add(GGUFKey.architecture, .string("qwen2"))
        XCTAssertEqual(try files.open(writer.encoded()).architecture, "qwen2")
    }

    func testReleasedTensorPagesReadBackUnchanged() throws {
        var rng = SplitMix64(seed: 21)
        var writer = GGUFWriter()
        writer.add(GGUFKey.architecture, .string("llama"))
        // Small tensors sharing pages with a large one (several pages), and the file's last.
        writer.addRandomTensor("a", shape: [32, 3], type: .q8_0, using: &rng)
        writer.addRandomTensor("b", shape: [256, 100], type: .q4_K, using: &rng)
        writer.addRandomTensor("c", shape: [32, 5], type: .q4_0, using: &rng)
        let file = try files.open(writer.encoded())
        func contents() -> [[UInt8]] { file.tensors.map { Array(file.data(of: $0)) } }
        let before = contents()
        XCTAssertGreaterThan(before[1].count, 3 * 4096)
        for name in ["b", "c", "a", "b"] { file.releasePages(of: try file.requireTensor(name)) }
        XCTAssertEqual(contents(), before)
    }
}
