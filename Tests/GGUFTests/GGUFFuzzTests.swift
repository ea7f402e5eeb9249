import Foundation
import GGUF
import Kernels
import TestSupport
import XCTest

/// Thousands of damaged variants of a small valid file: `GGUFFile(path:)` must open each or
/// throw a `GGUFError`, never trap; and whatever it opens must only point inside the file.
final class GGUFFuzzTests: XCTestCase {
    private func seedFile() -> [UInt8] {
        var rng = SplitMix64(seed: 42)
        var writer = GGUFWriter()
        writer.add(GGUFKey.architecture, .string("llama"))
        writer.add(GGUFKey.contextLength("llama"), .uint32(128))
        writer.add(GGUFKey.layerNormRMSEpsilon("llama"), .float32(1e-5))
        writer.add(GGUFKey.addBOSToken, .bool(true))
        writer.add(GGUFKey.tokens, .array(.string(["<unk>", "<s>", "</s>", "▁a", "b", "▁ab"])))
        writer.add(GGUFKey.tokenScores, .array(.float32([0, 0, 0, -1, -2, -3])))
        writer.add(GGUFKey.tokenTypes, .array(.int32([2, 3, 3, 1, 1, 1])))
        writer.add("test.nested", .array(.array([.uint16([1, 2]), .string(["x"])])))
        writer.add("test.i64", .int64(-5))
        writer.add("test.f64", .float64(0.5))
        writer.addTensor("output_norm.weight", shape: [8], type: .f32, values: (0..<8).map(Float.init))
        writer.addRandomTensor("token_embd.weight", shape: [32, 6], type: .q8_0, using: &rng)
        writer.addRandomTensor("blk.0.ffn_down.weight", shape: [256, 2], type: .q4_K, using: &rng)
        writer.addTensor("iq", shape: [32], typeID: 20, bytes: rng.bytes(18))
        return writer.encoded()
    }

    func testDamagedFilesOpenOrThrowButNeverTrap() throws {
        let directory = TemporaryDirectory(prefix: "gguf-fuzz")
        let path = directory.file("fuzz.gguf")
        let original = seedFile()
        try Data(original).write(to: URL(fileURLWithPath: path))
        let headerEnd = try GGUFFile(path: path).dataOffset  // header, metadata, tensor infos

        var rng = SplitMix64(seed: 0xF022)
        var opened = 0
        var errors = [String: Int]()
        let iterations = 4000
        for _ in 0..<iterations {
            let bytes = mutate(original, headerEnd: headerEnd, rng: &rng)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do throws(GGUFError) {
                let file = try GGUFFile(path: path)
                opened += 1
                exercise(file, size: bytes.count)
            } catch {
                errors[caseName(error), default: 0] += 1
                XCTAssertFalse(error.description.isEmpty)
            }
        }
        print("fuzz: \(iterations) variants, \(opened) opened; errors: \(errors.sorted { $0.key < $1.key })")
        XCTAssertGreaterThan(opened, 0)
        XCTAssertGreaterThan(errors["truncated", default: 0], 0)
        XCTAssertGreaterThan(errors["absurdCount", default: 0], 0)
    }

    /// One to three random damages: bit flips and random bytes in the header region, random
    /// or extreme u64/u32 fields written there, or truncation at a random length.
    private func mutate(_ original: [UInt8], headerEnd: Int, rng: inout SplitMix64) -> [UInt8] {
        var bytes = original
        for _ in 0...rng.nextInt(below: 3) {
            guard !bytes.isEmpty else { break }
            let region = min(headerEnd, bytes.count)
            let position = rng.nextInt(below: region)
            switch rng.nextInt(below: 6) {
            case 0:
                bytes[position] ^= UInt8(1) << UInt8(rng.nextInt(below: 8))
            case 1:
                bytes[position] = UInt8(truncatingIfNeeded: rng.next())
            case 2 where position + 8 <= bytes.count:
                let extremes: [UInt64] = [.max, 1 << 63, 1 << 32, UInt64(bytes.count), UInt64(bytes.count + 1),
                                          UInt64(bytes.count - position), rng.next()]
                bytes.patch(extremes[rng.nextInt(below: extremes.count)], at: position)
            case 3 where position + 4 <= bytes.count:
                let small: [UInt32] = [0, 1, 4, 5, 9, 12, 13, 30, 77, .max, UInt32(truncatingIfNeeded: rng.next())]
                bytes.patch(small[rng.nextInt(below: small.count)], at: position)
            case 4:
                bytes.removeLast(bytes.count - rng.nextInt(below: bytes.count + 1))
            default:
                bytes.removeLast(bytes.count - rng.nextInt(below: region + 1))
            }
        }
        return bytes
    }

    /// Uses everything an opened file offers, checking that it stays inside the file.
    private func exercise(_ file: GGUFFile, size: Int) {
        XCTAssertEqual(file.fileSize, size)
        for (key, _) in file.metadata.entries {
            _ = file.metadata.string(key)
            _ = file.metadata.int(key)
            _ = file.metadata.floatArray(key)
            _ = file.metadata.intArray(key)
            _ = try? file.metadata.requireStringArray(key)
        }
        for tensor in file.tensors {
            XCTAssertGreaterThanOrEqual(tensor.offset, file.dataOffset)
            XCTAssertLessThanOrEqual(tensor.offset, size)
            guard let byteCount = tensor.byteCount else { continue }
            XCTAssertLessThanOrEqual(tensor.offset + byteCount, size, tensor.name)
            if let (type, bytes) = try? file.typedData(of: tensor), !bytes.isEmpty {
                XCTAssertEqual(type.byteCount(elements: tensor.elementCount), bytes.count)
                _ = bytes[0] &+ bytes[bytes.count - 1]
            }
        }
    }

    private func caseName(_ error: GGUFError) -> String {
        Mirror(reflecting: error).children.first?.label ?? "\(error)"
    }
}
