import CommandLineKit
import Foundation
import XCTest

/// Standard error is written out at each line (a submit's notes and line problems show before a
/// wait for a lock, in order with standard output); other outputs (result files, piped standard
/// output) keep their 64 KiB buffer.
final class FileDescriptorOutputTests: XCTestCase {
    private func pending(_ descriptor: Int32) -> String {
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = read(descriptor, &bytes, bytes.count)
        return count > 0 ? String(decoding: bytes[..<count], as: UTF8.self) : ""
    }

    /// A pipe whose read end returns at once when empty.
    private func nonBlockingPipe() throws -> [Int32] {
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        XCTAssertNotEqual(fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK), -1)
        return ends
    }

    func testLineFlushingWritesEachLineAtOnceAndBufferingWaits() throws {
        let ends = try nonBlockingPipe()
        defer { close(ends[0]); close(ends[1]) }

        let lines = FileDescriptorOutput(descriptor: ends[1], flushesLines: true)
        lines.write("partial ")
        XCTAssertEqual(pending(ends[0]), "", "no newline yet")
        lines.line("note")
        XCTAssertEqual(pending(ends[0]), "partial note\n")

        let buffered = FileDescriptorOutput(descriptor: ends[1], flushesLines: false)
        buffered.line("result")
        XCTAssertEqual(pending(ends[0]), "")
        buffered.flush()
        XCTAssertEqual(pending(ends[0]), "result\n")
    }

    /// Standard error flushes standard output first: in one stream (`2>&1`) a message comes after
    /// the output written before it (`jobs generate`'s text, then its speed line).
    func testAnOutputFlushedFirstComesBeforeInOneStream() throws {
        let ends = try nonBlockingPipe()
        defer { close(ends[0]); close(ends[1]) }
        let output = FileDescriptorOutput(descriptor: ends[1], flushesLines: false)
        let errors = FileDescriptorOutput(descriptor: ends[1], flushesLines: true)
        errors.flushesFirst = output
        output.write("generated text")
        output.line()
        errors.line("prompt: 6 tokens")
        XCTAssertEqual(pending(ends[0]), "generated text\nprompt: 6 tokens\n")
    }
}
