import Glibc

/// Where a command writes text: standard output, standard error, a results file, or (in tests)
/// a buffer.
public protocol TextOutput: AnyObject {
    func write(_ bytes: [UInt8])
    /// Pushes buffered bytes out; called before the process exits and after each progress update.
    func flush()
    /// True for an interactive terminal: `jobs wait` draws a progress bar only there.
    var isTerminal: Bool { get }
}

extension TextOutput {
    public func write(_ text: String) { write(Array(text.utf8)) }

    public func line(_ text: String = "") { write(Array((text + "\n").utf8)) }
}

/// Buffered writes to a file descriptor (64 KiB at a time), so streaming 100,000 result lines
/// does not take 100,000 system calls.
public final class FileDescriptorOutput: TextOutput {
    private let descriptor: Int32
    private let closesDescriptor: Bool
    private var buffer: [UInt8] = []
    private static let capacity = 1 << 16

    public let isTerminal: Bool
    /// Written out at every newline: standard error always, and standard output on a terminal,
    /// as C's stdio does, so a note or a line's problem shows when it is written (not after a
    /// wait for a lock) and in order with the other stream.
    private let flushesLines: Bool
    /// Written out before anything is written here: standard output, for standard error (as
    /// C++ ties `cerr` to `cout`), so that where both go to one place (`2>&1`, a terminal) a
    /// message follows the output written before it, even with standard output piped and
    /// buffered.
    public var flushesFirst: FileDescriptorOutput?

    public init(descriptor: Int32, closesDescriptor: Bool = false, flushesLines: Bool? = nil) {
        self.descriptor = descriptor
        self.closesDescriptor = closesDescriptor
        self.isTerminal = isatty(descriptor) == 1
        self.flushesLines = flushesLines ?? (descriptor == STDERR_FILENO || isatty(descriptor) == 1)
        buffer.reserveCapacity(FileDescriptorOutput.capacity)
    }

    deinit {
        flush()
        if closesDescriptor { close(descriptor) }
    }

    public func write(_ bytes: [UInt8]) {
        flushesFirst?.flush()
        buffer.append(contentsOf: bytes)
        if buffer.count >= FileDescriptorOutput.capacity || (flushesLines && bytes.last == UInt8(ascii: "\n")) { flush() }
    }

    /// Writes everything buffered. Write errors other than interruptions end the writing
    /// silently here; `flushReportingErrors` reports them where it matters (results files).
    public func flush() {
        _ = try? flushReportingErrors()
    }

    /// Writes everything buffered, or throws the system error (a full disk, a closed pipe).
    public func flushReportingErrors() throws {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { bytes in
                Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw CLIError.user("cannot write output: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}

/// The streams a command talks to. `standard` is the process's own; tests inject buffers.
public struct Console {
    public var output: TextOutput
    public var errors: TextOutput
    /// Reads all of standard input (`jobs submit -`).
    public var readInput: () throws -> [UInt8]

    public init(output: TextOutput, errors: TextOutput, readInput: @escaping () throws -> [UInt8]) {
        self.output = output
        self.errors = errors
        self.readInput = readInput
    }

    public static func standard() -> Console {
        let output = FileDescriptorOutput(descriptor: STDOUT_FILENO)
        let errors = FileDescriptorOutput(descriptor: STDERR_FILENO)
        errors.flushesFirst = output
        return Console(output: output, errors: errors,
                       readInput: { try FileReader.readAll(descriptor: STDIN_FILENO, name: "standard input") })
    }
}
