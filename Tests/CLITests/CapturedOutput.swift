import CommandLineKit
import JobsCLI

/// A `TextOutput` that keeps what was written, for assertions.
final class CapturedOutput: TextOutput {
    private(set) var bytes: [UInt8] = []
    let isTerminal: Bool

    init(isTerminal: Bool = false) {
        self.isTerminal = isTerminal
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    func write(_ bytes: [UInt8]) { self.bytes += bytes }

    func flush() {}
}
