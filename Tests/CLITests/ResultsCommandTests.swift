import Foundation
import JobStore
import JobsCLI
import XCTest

/// results, stats and prune.
final class ResultsCommandTests: XCTestCase {
    private func finished() throws -> CLIHarness {
        let harness = CLIHarness()
        XCTAssertEqual(harness.run("submit", harness.file("p.jsonl", CLIHarness.shortLines)).code, 0)
        let store = try harness.store()
        let jobs = try store.claim(limit: 2, owner: "d", lease: 60)
        try store.complete(jobID: jobs[0].id, owner: "d", result: CLIHarness.result(for: jobs[0]))
        try store.fail(jobID: jobs[1].id, owner: "d", message: "prompt too long", retryable: false)
        return harness
    }

    func testResultsAreOpenAIBatchOutputLines() throws {
        let harness = try finished()
        let outcome = harness.run("results")
        XCTAssertEqual(outcome.code, 0)
        let lines = outcome.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2)
        let success = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        XCTAssertEqual(success["id"] as? String, "batch_req_1")
        XCTAssertEqual(success["custom_id"] as? String, "a")
        XCTAssertTrue(success["error"] is NSNull)
        let response = success["response"] as! [String: Any]
        XCTAssertEqual(response["status_code"] as? Int, 200)
        let body = response["body"] as! [String: Any]
        XCTAssertEqual(body["object"] as? String, "text_completion")
        XCTAssertEqual(body["model"] as? String, "fake-model")
        let choice = (body["choices"] as! [[String: Any]])[0]
        XCTAssertEqual(choice["text"] as? String, "answer to a")
        XCTAssertEqual(choice["finish_reason"] as? String, "length")
        XCTAssertEqual(body["usage"] as? [String: Int],
                       ["prompt_tokens": 4, "completion_tokens": 8, "total_tokens": 12])
        let timings = success["jobs_timings"] as! [String: Any]
        XCTAssertEqual(Set(timings.keys), ["queue_wait_seconds", "time_to_first_token_seconds", "prefill_seconds",
                                           "decode_seconds", "total_seconds", "tokens_per_second",
                                           "mean_batch_size", "prefix_tokens_reused", "attempts"])
        let failure = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        XCTAssertTrue(failure["response"] is NSNull)
        XCTAssertEqual(failure["error"] as? [String: String], ["code": "job_failed", "message": "prompt too long"])
        XCTAssertEqual(outcome.errors,
                       "Note: 1 job is not finished and not in the output; 'jobs wait' waits for them.\n")
    }

    func testResultsToFileEqualStandardOutputAndLeaveNoPartialFile() throws {
        let harness = try finished()
        let path = harness.directory.file("out.jsonl")
        let outcome = harness.run("results", "--batch", "p", "-o", path)
        XCTAssertEqual(outcome.code, 0)
        XCTAssertEqual(outcome.output, "")
        XCTAssertTrue(outcome.errors.hasPrefix("Wrote 2 results (1 succeeded, 1 failed, 0 cancelled) to \(path).\n"), outcome.errors)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), harness.run("results").output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"))
        // "-" is standard output, as for `jobs report -o -`, not a file named "-".
        let dash = harness.run("results", "--batch", "p", "-o", "-")
        XCTAssertEqual(dash.code, 0, dash.errors)
        XCTAssertEqual(dash.output, try String(contentsOfFile: path, encoding: .utf8))
        XCTAssertFalse(dash.errors.contains("Wrote"), dash.errors)
        let unwritable = harness.run("results", "-o", "/nonexistent-dir/out.jsonl")
        XCTAssertEqual(unwritable.code, 1)
        XCTAssertEqual(unwritable.errors, "jobs: cannot write /nonexistent-dir/out.jsonl.partial: No such file or directory\n")
        for arguments in [["results", "-o", harness.directory.path], ["results", "--errors", harness.directory.path]] {
            let intoFolder = harness.run(arguments)
            XCTAssertEqual(intoFolder.code, 1, "\(arguments)")
            XCTAssertEqual(intoFolder.errors, "jobs: cannot write \(harness.directory.path): it is a directory, not a file\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: harness.directory.path + ".partial"))
        }
    }

    /// Issue 10: the Batch API writes successes and failures to two files; so does --errors.
    func testErrorsGoToTheirOwnFileInTheBatchErrorFileShape() throws {
        let harness = try finished()
        let all = harness.run("results").output.split(separator: "\n").map(String.init)
        let outputPath = harness.directory.file("out.jsonl"), errorsPath = harness.directory.file("errors.jsonl")
        let outcome = harness.run("results", "-o", outputPath, "--errors", errorsPath)
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertTrue(outcome.errors.hasPrefix("Wrote 1 result to \(outputPath).\nWrote 1 error (1 failed, 0 cancelled) to \(errorsPath).\n"),
                      outcome.errors)
        XCTAssertEqual(try String(contentsOfFile: outputPath, encoding: .utf8), all[0] + "\n")
        let errorLines = try String(contentsOfFile: errorsPath, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(errorLines, [all[1]])
        let line = try JSONSerialization.jsonObject(with: Data(errorLines[0].utf8)) as! [String: Any]
        XCTAssertEqual(line["custom_id"] as? String, "b")
        XCTAssertTrue(line["response"] is NSNull)
        XCTAssertEqual(line["error"] as? [String: String], ["code": "job_failed", "message": "prompt too long"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: errorsPath + ".partial"))

        let toStandardOutput = harness.run("results", "--errors", errorsPath)
        XCTAssertEqual(toStandardOutput.output, all[0] + "\n")
        XCTAssertEqual(harness.run("results", "-o", outputPath, "--errors", outputPath).code, 2)
        let unwritable = harness.run("results", "-o", outputPath, "--errors", "/nonexistent-dir/e.jsonl")
        XCTAssertEqual(unwritable.code, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: outputPath + ".partial"))
    }

    func testStatsAsTextAndJSON() throws {
        let harness = try finished()
        let text = harness.run("stats", "--batch", "p")
        XCTAssertEqual(text.code, 0)
        XCTAssertTrue(text.output.hasPrefix("""
            Batch p: 3 jobs
              queued 1, running 0, succeeded 1, failed 1, cancelled 0

            """), text.output)
        XCTAssertTrue(text.output.contains("  first token  100 ms  100 ms  100 ms\n"), text.output)
        let json = harness.run("stats", "--json")
        let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as! [String: Any]
        XCTAssertEqual(object["counts"] as? [String: Int],
                       ["queued": 1, "running": 0, "succeeded": 1, "failed": 1, "cancelled": 0, "total": 3])
        XCTAssertEqual(object["completion_tokens"] as? Int, 8)
        XCTAssertEqual((object["time_to_first_token_seconds"] as? [String: Double])?["p99"], 0.1)
        XCTAssertTrue(object["batch"] is NSNull)
    }

    func testPruneRemovesJobsFinishedBeforeTheCutoff() throws {
        let harness = try finished()
        let later = Date().addingTimeInterval(3 * 86400)
        harness.clock = CommandClock(now: { later }, sleep: { _ in })
        let outcome = harness.run("prune", "--older-than", "2d", "--state", "succeeded", "--vacuum")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertTrue(outcome.output.hasPrefix("Removed 1 job (succeeded) finished before "), outcome.output)
        XCTAssertTrue(outcome.output.contains("\nCompacted the database: "), outcome.output)
        let counts = try harness.store().counts()
        XCTAssertEqual([counts.succeeded, counts.failed, counts.queued], [0, 1, 1])
        XCTAssertTrue(harness.run("prune", "--older-than", "4d").output.hasPrefix("Removed 0 jobs"))
    }
}
