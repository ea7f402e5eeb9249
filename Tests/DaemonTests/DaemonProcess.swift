import Foundation
import XCTest

/// One `jobsd` child process, its standard error captured to a file (logfmt lines).
final class DaemonProcess {
    let process = Process()
    let stderrPath: String
    let stdoutPath: String

    /// The built `jobsd` next to the test bundle (`swift build --build-tests` builds it), or
    /// `$JOBSD_PATH`.
    static func executable() throws -> String {
        if let path = ProcessInfo.processInfo.environment["JOBSD_PATH"], !path.isEmpty { return path }
        var folders = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                       Bundle.main.bundleURL.deletingLastPathComponent(),
                       Bundle(for: DaemonProcess.self).bundleURL.deletingLastPathComponent()]
        folders += folders.map { $0.deletingLastPathComponent() }
        for folder in folders {
            let candidate = folder.appendingPathComponent("jobsd").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw XCTSkip("no jobsd executable next to the test bundle (looked in \(folders.map(\.path))); "
                      + "build it with `swift build --build-tests` or set JOBSD_PATH")
    }

    init(_ arguments: [String], logDirectory: String, name: String) throws {
        process.executableURL = URL(fileURLWithPath: try DaemonProcess.executable())
        process.arguments = arguments
        stderrPath = "\(logDirectory)/\(name).stderr"
        stdoutPath = "\(logDirectory)/\(name).stdout"
        for path in [stderrPath, stdoutPath] where !FileManager.default.createFile(atPath: path, contents: nil) {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Runs jobsd to completion and returns (status, stdout, stderr).
    static func run(_ arguments: [String], logDirectory: String, name: String, timeout: TimeInterval = 30) throws
        -> (status: Int32, stdout: String, stderr: String) {
        let child = try DaemonProcess(arguments, logDirectory: logDirectory, name: name)
        let status = try child.wait(timeout: timeout)
        return (status, child.stdout, child.stderr)
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ number: Int32) {
        kill(pid, number)
    }

    /// Waits for the exit status; kills the child and throws after `timeout`.
    @discardableResult
    func wait(timeout: TimeInterval) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                kill(pid, SIGKILL)
                process.waitUntilExit()
                throw Timeout(seconds: timeout, stderr: stderr)
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return process.terminationStatus
    }

    struct Timeout: Error, CustomStringConvertible {
        let seconds: TimeInterval
        let stderr: String
        var description: String { "jobsd did not exit within \(seconds) s; its log ends:\n\(stderr.suffix(2000))" }
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

    /// The parsed log lines whose `event` is `event`.
    func events(_ event: String) -> [[String: String]] {
        DaemonProcess.events(event, in: stderr)
    }

    static func events(_ event: String, in log: String) -> [[String: String]] {
        log.split(separator: "\n").compactMap { try? Logfmt.parse(String($0)) }.filter { $0["event"] == event }
    }

    deinit {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}
