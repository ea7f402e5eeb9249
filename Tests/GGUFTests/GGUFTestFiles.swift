import Foundation
import GGUF
import Kernels
import TestSupport
import XCTest

/// Writes byte images to files in a temporary directory and opens them, for the GGUF tests.
final class GGUFTestFiles {
    let directory: TemporaryDirectory
    private var counter = 0

    init() throws { directory = TemporaryDirectory(prefix: "gguf-tests") }

    /// Writes `bytes` to a new file and returns its path.
    func write(_ bytes: [UInt8], name: String? = nil) throws -> String {
        counter += 1
        let path = directory.file(name ?? "file\(counter).gguf")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func open(_ bytes: [UInt8]) throws -> GGUFFile {
        try GGUFFile(path: write(bytes))
    }

    /// Opens `bytes`, expects a `GGUFError`, and returns it with the file's path.
    func openError(_ bytes: [UInt8], file: StaticString = #filePath,
                   line: UInt = #line) throws -> (error: GGUFError, path: String) {
        let path = try write(bytes)
        do throws(GGUFError) {
            _ = try GGUFFile(path: path)
        } catch {
            return (error, path)
        }
        XCTFail("opening succeeded; expected an error", file: file, line: line)
        throw XCTSkip("no error to inspect")
    }
}

extension Array where Element == UInt8 {
    /// Overwrites bytes at `offset` with an integer, little-endian.
    mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { raw in
            for (i, byte) in raw.enumerated() { self[offset + i] = byte }
        }
    }
}
