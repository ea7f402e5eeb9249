import Foundation
import TestSupport
import XCTest
@testable import JobStore
import RequestFormats

/// `chmod a-w` on the database file or its folder, with the built `jobs` and `jobsd` binaries.
/// Root ignores file modes, so as root (CI) the binaries run without the capabilities that let
/// it (`WithoutPermissionOverride`): the modes then bind them as they bind any user. Reading
/// commands work; writing ones, and `jobsd`, fail at once with a message naming the file.
final class ReadOnlyCommandTests: XCTestCase {
    private func jobsExecutable() throws -> String {
        (try DaemonProcess.executable() as NSString).deletingLastPathComponent + "/jobs"
    }

    /// A database with three jobs (one succeeded) in its own folder, closed again (no -wal or
    /// -shm file left).
    private func database(in directory: TemporaryDirectory) throws -> String {
        let path = directory.file("jobs.db")
        let store = try JobStore(path: path)
        let jobs = (0..<3).map { ParsedJob(line: $0 + 1, customID: "j\($0)",
                                            request: JobRequest(input: .prompt("p\($0)"), maxTokens: 4, temperature: 0)) }
        _ = try store.submit(BatchSubmission(name: "ro", source: "ro.jsonl", sha256: "ro", maxAttempts: 3, jobs: jobs))
        let job = try store.claim(limit: 1, owner: "d", lease: 60)[0]
        try store.complete(jobID: job.id, owner: "d", result: JobResult(
            text: "done", finishReason: .length, promptTokens: 1, completionTokens: 4, model: "m",
            timings: GenerationTimings(timeToFirstToken: 0, prefill: 0, decode: 0, tokensPerSecond: 0, meanActiveSequences: 1)))
        return path
    }

    private func checkReadersWorkAndWritersFail(database path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let jobs = try jobsExecutable()
        let environment = ["JOBS_DB": path]
        for arguments in [["list"], ["stats"], ["results"], ["show", "1"], ["report", "-o", "/dev/null"]] {
            let outcome = try WithoutPermissionOverride.run(jobs, arguments, environment: environment)
            XCTAssertEqual(outcome.status, 0, "jobs \(arguments.joined(separator: " ")): \(outcome.errors)", file: file, line: line)
        }
        let results = try WithoutPermissionOverride.run(jobs, ["results"], environment: environment)
        XCTAssertTrue(results.output.contains("\"done\""), results.output, file: file, line: line)

        let message = "database \(path) is read-only (its file, folder or file system does not allow writing); "
            + "make them writable for the user that runs jobs and jobsd (SQLite also writes \(path)-wal and \(path)-shm beside it). "
            + "Commands that only read (list, show, stats, results, report) work as it is"
        let input = TemporaryDirectory(prefix: "jobs-store-test")
        let lines = input.write("more.jsonl", #"{"id": "m", "prompt": "more"}"# + "\n")
        for arguments in [["submit", lines], ["cancel", "2"], ["retry", "--failed"], ["prune", "--older-than", "1s"]] {
            let outcome = try WithoutPermissionOverride.run(jobs, arguments, environment: environment)
            XCTAssertEqual(outcome.status, 1, "jobs \(arguments.joined(separator: " "))", file: file, line: line)
            XCTAssertEqual(outcome.errors, "jobs: \(message)\n", "jobs \(arguments[0])", file: file, line: line)
        }
        let daemon = try WithoutPermissionOverride.run(try DaemonProcess.executable(),
                                                       ["--db", path, "--model", "/dev/null", "--drain"])
        XCTAssertEqual(daemon.status, 1, daemon.errors, file: file, line: line)
        XCTAssertTrue(daemon.errors.contains("event=fatal") && daemon.errors.contains("is read-only"), daemon.errors,
                      file: file, line: line)
    }

    func testReadOnlyFile() throws {
        let directory = TemporaryDirectory(prefix: "jobs-store-test")
        let path = try database(in: directory)
        XCTAssertEqual(chmod(path, 0o400), 0)
        try checkReadersWorkAndWritersFail(database: path)
        XCTAssertEqual(chmod(path, 0o600), 0)
        XCTAssertEqual(try JobStore(path: path, createIfMissing: false).counts().total, 3, "nothing changed")
    }

    func testReadOnlyFolder() throws {
        let directory = TemporaryDirectory(prefix: "jobs-store-test")
        let path = try database(in: directory)
        XCTAssertEqual(chmod(directory.path, 0o500), 0)
        defer { chmod(directory.path, 0o700) }
        try checkReadersWorkAndWritersFail(database: path)
        XCTAssertEqual(chmod(directory.path, 0o700), 0)
        XCTAssertEqual(try JobStore(path: path, createIfMissing: false).counts().total, 3, "nothing changed")
    }
}
