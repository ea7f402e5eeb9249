import Foundation
import GGUF
import TestSupport
import XCTest

/// The shared test helpers other test targets build on.
final class TestSupportTests: XCTestCase {
    func testSplitMix64MatchesReferenceSequence() {
        var rng = SplitMix64(seed: 0)
        XCTAssertEqual((0..<3).map { _ in rng.next() },
                       [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var a = SplitMix64(seed: 5), b = SplitMix64(seed: 5)
        XCTAssertEqual(a.bytes(13), b.bytes(13))
        for _ in 0..<1000 {
            let u = a.nextUnitFloat()
            XCTAssertTrue(u >= 0 && u < 1)
            XCTAssertTrue((0..<7).contains(a.nextInt(below: 7)))
            XCTAssertTrue(a.nextGaussian().isFinite)
        }
    }

    func testTemporaryDirectoryIsUniqueAndRemovedWithItsFiles() throws {
        var directory: TemporaryDirectory? = TemporaryDirectory()
        let other = TemporaryDirectory()
        let path = directory!.path
        XCTAssertNotEqual(path, other.path)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory!.file("a.bin")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory!.file("a.bin")))
        directory = nil
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testWriterPadsEveryTensorToTheAlignment() throws {
        let directory = TemporaryDirectory()
        var writer = GGUFWriter(alignment: 16)
        writer.add(GGUFKey.alignment, .uint32(16))
        writer.addTensor("a", shape: [1], type: .f32, values: [1])
        writer.addTensor("b", shape: [5], type: .f16, values: [1, 2, 3, 4, 5])
        writer.addTensor("c", shape: [32, 2], type: .q4_0, values: (0..<64).map { Float($0) })
        try writer.write(to: directory.file("w.gguf"))
        let file = try GGUFFile(path: directory.file("w.gguf"))

        XCTAssertEqual(file.metadata.count, 1, "an explicit general.alignment is not written twice")
        XCTAssertEqual(file.tensors.map { $0.offset - file.dataOffset }, [0, 16, 32])
        XCTAssertEqual(file.fileSize, file.dataOffset + 32 + 2 * 18 + 12)
    }
}
