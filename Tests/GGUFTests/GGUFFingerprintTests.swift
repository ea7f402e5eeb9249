import Foundation
import GGUF
import TestSupport
import XCTest

/// The model-file digest that checkpoints carry: the same file gives the same digest, and
/// another file — other weights, other metadata — gives another.
final class GGUFFingerprintTests: XCTestCase {
    func testSameFileSameDigestAndAnyChangedByteAnotherOne() throws {
        let directory = TemporaryDirectory()
        let path = try TinyModel.write(.gemma3, to: directory.file("a.gguf"))
        let copy = try TinyModel.write(.gemma3, to: directory.file("b.gguf"))
        let digest = try GGUFFile(path: path).fingerprint
        XCTAssertEqual(digest.count, 16)
        XCTAssertEqual(try GGUFFile(path: copy).fingerprint, digest, "same bytes, same digest")
        XCTAssertNotEqual(try GGUFFile(path: TinyModel.write(.gemma3, to: directory.file("c.gguf"), seed: 2)).fingerprint, digest,
                          "other weights")

        let file = try GGUFFile(path: path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for offset in [8, file.dataOffset - 1, file.dataOffset, bytes.count - 1] {
            var changed = bytes
            changed[offset] ^= 0x01
            let changedPath = directory.file("changed-\(offset).gguf")
            try changed.write(to: URL(fileURLWithPath: changedPath))
            // A byte in the header may make the file unreadable; one that does not must change the digest.
            if let other = try? GGUFFile(path: changedPath) {
                XCTAssertNotEqual(other.fingerprint, digest, "byte \(offset) changed")
            }
        }
        bytes.append(contentsOf: [0, 0, 0, 0])
        let longer = directory.file("longer.gguf")
        try bytes.write(to: URL(fileURLWithPath: longer))
        XCTAssertNotEqual(try GGUFFile(path: longer).fingerprint, digest, "the size is part of it")
    }
}
