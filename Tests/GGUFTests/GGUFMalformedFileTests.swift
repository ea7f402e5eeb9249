import GGUF
import Kernels
import TestSupport
import XCTest

/// Damaged, truncated and foreign files: each must throw a specific, readable `GGUFError`.
final class GGUFMalformedFileTests: XCTestCase {
    private var files: GGUFTestFiles!

    override func setUpWithError() throws { files = try GGUFTestFiles() }
    override func tearDown() { files = nil }

    /// Header (24 bytes), then entry 0 "general.architecture" = "llama" at 24, entry 1 "n" =
    /// u32 7, then one F32 tensor "w" of 4 values.
    private func smallFile() -> [UInt8] {
        var writer = GGUFWriter()
        writer.add(GGUFKey.architecture, .string("llama"))
        writer.add("n", .uint32(7))
        writer.addTensor("w", shape: [4], type: .f32, values: [1, 2, 3, 4])
        return writer.encoded()
    }
    /// entry 0: 8 + 20 (key) + 4 (type) + 8 + 5 (value) = 45 bytes.
    private let entry1Offset = 24 + 45
    /// entry 1: 8 + 1 + 4 + 4 = 17 bytes.
    private var tensorInfoOffset: Int { entry1Offset + 17 }

    func testRejectsFileWithoutMagicAndShowsItsFirstBytes() throws {
        var bytes = smallFile()
        bytes.replaceSubrange(0..<4, with: [0x7f, 0x45, 0x4c, 0x46])
        let (error, path) = try files.openError(bytes)
        guard case let .notGGUF(errorPath, found) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(errorPath, path)
        XCTAssertEqual(Array(found.prefix(4)), [0x7f, 0x45, 0x4c, 0x46])
        XCTAssertTrue(error.description.contains("\(path) is not a GGUF file: it starts with bytes 7f 45 4c 46"),
                      error.description)
    }

    func testRejectsEmptyAndTinyFiles() throws {
        let (empty, _) = try files.openError([])
        XCTAssertTrue(empty.description.contains("is empty"), empty.description)
        let (short, path) = try files.openError(Array("GG".utf8))
        XCTAssertEqual(short, .truncated(path: path, part: .header, offset: 0, needed: 4, fileSize: 2))
        let (text, _) = try files.openError(Array("hi".utf8))
        guard case .notGGUF = text else { return XCTFail("\(text)") }
    }

    func testRejectsVersion1WithConversionAdvice() throws {
        var bytes = smallFile()
        bytes.patch(UInt32(1), at: 4)
        let (error, path) = try files.openError(bytes)
        XCTAssertEqual(error, .unsupportedVersion(path: path, version: 1))
        XCTAssertTrue(error.description.contains("GGUF version 1"), error.description)
        XCTAssertTrue(error.description.contains("convert the model again with a recent llama.cpp"))
    }

    func testDetectsBigEndianFileByByteSwappedVersion() throws {
        var bytes = smallFile()
        bytes.patch(UInt32(3).byteSwapped, at: 4)
        let (error, path) = try files.openError(bytes)
        XCTAssertEqual(error, .bigEndian(path: path, storedVersion: 0x0300_0000))
        XCTAssertTrue(error.description.contains("big-endian"), error.description)
    }

    func testRejectsUnknownVersion() throws {
        var bytes = smallFile()
        bytes.patch(UInt32(4), at: 4)
        let (error, path) = try files.openError(bytes)
        XCTAssertEqual(error, .unsupportedVersion(path: path, version: 4))
    }

    func testTruncationInHeaderMetadataTensorInfoAndDataNamesThePart() throws {
        let bytes = smallFile()
        let cases: [(cut: Int, part: GGUFFilePart)] = [
            (10, .header),
            (24 + 3, .metadata(index: 0, key: nil)),
            (entry1Offset + 12, .metadata(index: 1, key: "n")),
            (tensorInfoOffset + 2, .tensorInfo(index: 0, name: nil)),
            (tensorInfoOffset + 15, .tensorInfo(index: 0, name: "w")),
            (bytes.count - 20, .tensorData(name: "w")),
        ]
        for (cut, part) in cases {
            let (error, path) = try files.openError(Array(bytes.prefix(cut)))
            guard case let .truncated(errorPath, errorPart, _, _, fileSize) = error else {
                XCTFail("cut at \(cut): \(error)")
                continue
            }
            XCTAssertEqual(errorPath, path)
            XCTAssertEqual(errorPart, part, "cut at \(cut)")
            XCTAssertEqual(fileSize, cut)
            XCTAssertTrue(error.description.contains("is truncated: \(part)"), error.description)
            XCTAssertTrue(error.description.contains("re-download the file"), error.description)
        }
    }

    func testRejectsLengthsAndCountsLargerThanTheFileWithoutAllocating() throws {
        let bytes = smallFile()
        var hugeTensorCount = bytes
        hugeTensorCount.patch(UInt64.max, at: 8)
        var hugeEntryCount = bytes
        hugeEntryCount.patch(UInt64(1) << 60, at: 16)
        var hugeKeyLength = bytes
        hugeKeyLength.patch(UInt64(1) << 62, at: 24)
        var hugeStringValue = bytes
        hugeStringValue.patch(UInt64.max - 3, at: 24 + 8 + 20 + 4)
        var hugeNameLength = bytes
        hugeNameLength.patch(UInt64(bytes.count + 1), at: tensorInfoOffset)

        for (label, image) in [("tensor count", hugeTensorCount), ("entry count", hugeEntryCount),
                               ("key length", hugeKeyLength), ("string value", hugeStringValue),
                               ("tensor name", hugeNameLength)] {
            let (error, _) = try files.openError(image)
            guard case .absurdCount = error else {
                XCTFail("\(label): \(error)")
                continue
            }
            XCTAssertTrue(error.description.contains("re-download"), error.description)
        }

        var lengthPastEnd = bytes
        lengthPastEnd.patch(UInt64(bytes.count - tensorInfoOffset), at: tensorInfoOffset)
        let (error, _) = try files.openError(lengthPastEnd)
        guard case .truncated(_, .tensorInfo(0, nil), _, _, _) = error else { return XCTFail("\(error)") }
    }

    func testRejectsHugeArrayCount() throws {
        var writer = GGUFWriter()
        writer.add("tokenizer.ggml.scores", .array(.float32([1, 2, 3])))
        var bytes = writer.encoded()
        let countOffset = 24 + 8 + 21 + 4 + 4
        bytes.patch(UInt64(1) << 61, at: countOffset)
        let (error, path) = try files.openError(bytes)
        XCTAssertEqual(error, .absurdCount(path: path, part: .metadata(index: 0, key: "tokenizer.ggml.scores"),
                                           what: "an ARRAY[FLOAT32] length of", count: 1 << 61,
                                           limit: UInt64(bytes.count / 4)))
    }

    func testRejectsUnknownValueType() throws {
        var bytes = smallFile()
        bytes.patch(UInt32(13), at: entry1Offset + 8 + 1)
        let (error, path) = try files.openError(bytes)
        XCTAssertEqual(error, .invalidValueType(path: path, part: .metadata(index: 1, key: "n"), typeID: 13))
    }

    func testRejectsArraysNestedTooDeep() throws {
        var inner = GGUFArray.uint8([1])
        for _ in 0..<20 { inner = .array([inner]) }
        var writer = GGUFWriter()
        writer.add("deep", .array(inner))
        let (error, _) = try files.openError(writer.encoded())
        guard case .nestingTooDeep = error else { return XCTFail("\(error)") }
    }

    func testRejectsDuplicateKeysAndTensors() throws {
        var writer = GGUFWriter()
        writer.add("k", .uint8(1))
        writer.add("k", .uint8(2))
        let (keyError, keyPath) = try files.openError(writer.encoded())
        XCTAssertEqual(keyError, .duplicateKey(path: keyPath, key: "k"))

        writer = GGUFWriter()
        writer.addTensor("w", shape: [1], type: .f32, values: [1])
        writer.addTensor("w", shape: [1], type: .f32, values: [2])
        let (tensorError, tensorPath) = try files.openError(writer.encoded())
        XCTAssertEqual(tensorError, .duplicateTensor(path: tensorPath, name: "w"))
    }

    func testRejectsInvalidAlignment() throws {
        for value: GGUFValue in [.uint32(0), .uint32(48), .int32(32), .string("32"), .uint64(1 << 40)] {
            var writer = GGUFWriter()
            writer.add(GGUFKey.alignment, value)
            let (error, _) = try files.openError(writer.encoded())
            guard case let .invalidAlignment(_, found) = error else {
                XCTFail("\(value): \(error)")
                continue
            }
            XCTAssertTrue(found.contains(value.typeDescription), found)
        }
    }

    func testRejectsMoreThanFourDimensions() throws {
        var writer = GGUFWriter()
        writer.addTensor("w", shape: [1, 1, 1, 1, 1], typeID: 0, bytes: [0, 0, 0, 0])
        let (error, path) = try files.openError(writer.encoded())
        XCTAssertEqual(error, .tooManyDimensions(path: path, tensor: "w", dimensions: 5, limit: 4))
    }

    func testRejectsRowsThatAreNotWholeBlocksAndOverflowingShapes() throws {
        var writer = GGUFWriter()
        writer.addTensor("w", shape: [16, 2], typeID: TensorType.q8_0.rawValue, bytes: [UInt8](repeating: 0, count: 34))
        let (error, _) = try files.openError(writer.encoded())
        guard case let .invalidTensorShape(_, tensor, shape, reason) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(tensor, "w")
        XCTAssertEqual(shape, [16, 2])
        XCTAssertTrue(reason.contains("not a multiple of Q8_0's 32-value block"), reason)

        writer = GGUFWriter()
        writer.addTensor("big", shape: [1 << 40, 1 << 40], typeID: 0, bytes: [])
        let (overflow, _) = try files.openError(writer.encoded())
        guard case .invalidTensorShape = overflow else { return XCTFail("\(overflow)") }
    }

    func testRejectsMisalignedAndOutOfBoundsTensorOffsets() throws {
        var bytes = smallFile()
        let offsetField = tensorInfoOffset + 8 + 1 + 4 + 8 + 4
        bytes.patch(UInt64(4), at: offsetField)
        let (misaligned, path) = try files.openError(bytes)
        XCTAssertEqual(misaligned, .misalignedTensor(path: path, tensor: "w", offset: 4, alignment: 32))

        bytes.patch(UInt64(1) << 50, at: offsetField)
        let (outside, _) = try files.openError(bytes)
        guard case .tensorOutOfBounds(_, "w", 1 << 50, 16, _) = outside else { return XCTFail("\(outside)") }
    }

    func testReportsUnopenablePaths() throws {
        let missing = files.directory.file("nope.gguf")
        XCTAssertThrowsError(try GGUFFile(path: missing)) { error in
            XCTAssertEqual("\(error)", "cannot open \(missing): No such file or directory")
        }
        XCTAssertThrowsError(try GGUFFile(path: files.directory.path)) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
    }
}
