import Foundation
import XCTest

/// A second process holding a database's write lock, as `jobs submit` of a large file or a
/// `sqlite3` session does: the `sqlite3` shell runs `BEGIN IMMEDIATE` and `statements` (left
/// uncommitted), and keeps the lock until `release()` commits or `abandon()` rolls back (or the
/// object goes away). The shell is the one from the `sqlite3` package (Scripts/install-deps);
/// tests skip, saying so, where it is missing.
public final class LockHolder: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    // Guarded by `lock`: `release(after:)` finishes from another thread.
    private var isHeld = true
    private let lock = NSLock()

    /// Returns once the lock is taken (the shell has printed its marker). `preparation` runs
    /// before `BEGIN IMMEDIATE` (e.g. `PRAGMA journal_mode = WAL`, which a transaction cannot).
    public init(path: String, preparation: String = "", statements: String = "", timeout: TimeInterval = 10) throws {
        guard let shell = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            throw XCTSkip("the sqlite3 shell is not installed (apt-get install sqlite3, or Scripts/install-deps --test)")
        }
        process.executableURL = URL(fileURLWithPath: shell)
        process.arguments = ["-batch", "-bail", path]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try send(".timeout 10000\n\(preparation)\nBEGIN IMMEDIATE;\n\(statements)\n.print LOCK-HELD\n")
        var text = ""
        let deadline = Date().addingTimeInterval(timeout)
        while !text.contains("LOCK-HELD") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty || Date() > deadline {
                throw HolderFailed(output: text)
            }
            text += String(decoding: chunk, as: UTF8.self)
        }
        if text.contains("Error") || text.contains("Parse error") { throw HolderFailed(output: text) }
    }

    public struct HolderFailed: Error, CustomStringConvertible {
        public let output: String
        public var description: String { "the sqlite3 shell did not take the lock: \(output)" }
    }

    /// Commits the held transaction and ends the shell.
    public func release() throws { try finish("COMMIT;") }

    /// Rolls the held transaction back and ends the shell.
    public func abandon() throws { try finish("ROLLBACK;") }

    /// Commits after `seconds`, from another thread; returns at once.
    public func release(after seconds: TimeInterval) {
        let holder = self
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: seconds)
            try? holder.release()
        }
    }

    private func finish(_ statement: String) throws {
        lock.lock()
        defer { lock.unlock() }
        guard isHeld else { return }
        isHeld = false
        try send(statement + "\n.quit\n")
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    private func send(_ text: String) throws {
        try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    deinit {
        if process.isRunning {
            try? abandon()
        }
    }
}
