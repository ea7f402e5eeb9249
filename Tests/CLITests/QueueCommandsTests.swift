import Foundation
import JobStore
import XCTest

/// list, show, cancel and retry.
final class QueueCommandsTests: XCTestCase {
    private func submitted() -> CLIHarness {
        let harness = CLIHarness()
        XCTAssertEqual(harness.run("submit", harness.file("p.jsonl", CLIHarness.shortLines)).code, 0)
        return harness
    }

    func testListShowsJobsWithFiltersAndLimit() throws {
        let harness = submitted()
        let store = try harness.store()
        let job = try store.claim(limit: 1, owner: "d@host", lease: 60)[0]
        try store.complete(jobID: job.id, owner: "d@host", result: CLIHarness.result(for: job))
        let all = harness.run("list")
        XCTAssertEqual(all.code, 0)
        let lines = all.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        XCTAssertTrue(lines[0].hasPrefix("ID  JOB  "), all.output)
        XCTAssertTrue(lines[1].contains("p/a") && lines[1].contains("succeeded") && lines[1].contains("1/3"), all.output)
        let queued = harness.run("list", "--state", "queued", "--limit", "1")
        XCTAssertTrue(queued.output.contains("p/c"), "the newest of the queued jobs")
        XCTAssertFalse(queued.output.contains("p/b"))
        XCTAssertTrue(queued.output.hasSuffix("Showing the newest 1 of 2 jobs (queued); use --limit to see more.\n"),
                      queued.output)
        XCTAssertEqual(harness.run("list", "--state", "failed").output, "No jobs (failed).\n")
        let unknown = harness.run("list", "--batch", "zzz")
        XCTAssertEqual(unknown.code, 1)
        XCTAssertEqual(unknown.errors, "jobs: no batch named \"zzz\"; known batches: p\n")
        // A name that differs only by case (as a cron line typed by hand may) is pointed at.
        let wrongCase = harness.run("wait", "--batch", "P")
        XCTAssertEqual(wrongCase.code, 1)
        XCTAssertEqual(wrongCase.errors, "jobs: no batch named \"P\"; batch names are case-sensitive: did you mean p?\n")
        // What an error quotes is shown, not run by the terminal: a name from a script's variable
        // may carry escape sequences.
        let escaped = harness.run("wait", "--batch", "\u{1B}[2J\u{202E}x")
        XCTAssertEqual(escaped.errors, "jobs: no batch named \"\\u001B[2J\\u202Ex\"; known batches: p\n")
        // A newline in what a message quotes cannot print a line of its own.
        let forged = harness.run("show", "x\njobs: everything is fine\n")
        XCTAssertEqual(forged.errors.filter { $0 == "\n" }.count, 1, forged.errors)
        XCTAssertTrue(forged.errors.hasPrefix("jobs: no job x\\u000Ajobs: everything is fine\\u000A; "), forged.errors)
        let usage = harness.run("list", "--state", "\u{1B}[2J")
        XCTAssertTrue(usage.errors.hasPrefix("jobs list: "), usage.errors)
        XCTAssertTrue(usage.errors.contains("\\u001B[2J") && !usage.errors.contains("\u{1B}"), usage.errors)
    }

    func testShowPrintsRequestResultAndTimings() throws {
        let harness = submitted()
        let store = try harness.store()
        let job = try store.claim(limit: 1, owner: "d", lease: 60)[0]
        try store.complete(jobID: job.id, owner: "d", result: CLIHarness.result(for: job))
        for reference in ["1", "p/a", "a"] {
            let outcome = harness.run("show", reference)
            XCTAssertEqual(outcome.code, 0)
            XCTAssertTrue(outcome.output.hasPrefix("Job 1: p/a (line 1)\n  State:     succeeded\n"), outcome.output)
            XCTAssertTrue(outcome.output.contains("  Request:   completion, max_tokens 256, temperature 1\n"), outcome.output)
            XCTAssertTrue(outcome.output.contains("  Result:    length, 4 prompt + 8 completion tokens, model fake-model\n"), outcome.output)
            XCTAssertTrue(outcome.output.contains("first token 100 ms, prefill 50 ms, decode 500 ms"), outcome.output)
            XCTAssertTrue(outcome.output.hasSuffix("Prompt:\n  First\n\nOutput:\n  answer to a\n"), outcome.output)
        }
        let chat = harness.run("show", "p/c")
        XCTAssertTrue(chat.output.hasSuffix("Messages:\n  [user]\n    Third\n"), chat.output)
        let missing = harness.run("show", "77")
        XCTAssertEqual(missing.code, 1)
        XCTAssertEqual(missing.errors, "jobs: no job 77; use a job number (jobs list), BATCH/CUSTOM_ID, or a custom id\n")
    }

    /// Prompt text is untrusted: a NUL, a carriage return or an escape sequence in it is shown
    /// escaped, not sent to the terminal.
    func testShowEscapesControlCharactersOfThePrompt() throws {
        let harness = CLIHarness()
        let line = #"{"id": "x", "prompt": "red \u001b[31mtext\u0000 over\rwritten\ttab\nnext \u0085é"}"#
        let submit = harness.run("submit", harness.file("c.jsonl", [line]))
        XCTAssertEqual(submit.code, 0, submit.errors)
        let outcome = harness.run("show", "x")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertTrue(outcome.output.hasSuffix("Prompt:\n  red \\u001B[31mtext\\u0000 over\\u000Dwritten\ttab\n  next \\u0085é\n"),
                      outcome.output)
        XCTAssertFalse(outcome.output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0 || $0.value == 0x0D })
    }

    /// A custom id is untrusted too: list and show print it escaped.
    func testListAndShowEscapeControlCharactersOfACustomID() throws {
        let harness = CLIHarness()
        let line = #"{"id": "x\u001b[2Jy", "prompt": "hello"}"#
        let submit = harness.run("submit", harness.file("c.jsonl", [line]))
        XCTAssertEqual(submit.code, 0, submit.errors)
        let list = harness.run("list")
        XCTAssertTrue(list.output.contains("c/x\\u001B[2Jy"), list.output)
        let show = harness.run("show", "1")
        XCTAssertTrue(show.output.hasPrefix("Job 1: c/x\\u001B[2Jy (line 1)"), show.output)
        for output in [list.output, show.output] {
            XCTAssertFalse(output.unicodeScalars.contains { $0.value == 0x1B }, output)
        }
    }

    /// A stored error can quote a request (a schema's field name, a stop string): list and show
    /// print it escaped too.
    func testListAndShowEscapeControlCharactersOfAnError() throws {
        let harness = submitted()
        let store = try harness.store()
        let job = try XCTUnwrap(store.claim(limit: 1, owner: "d", lease: 60).first)
        try store.fail(jobID: job.id, owner: "d", message: "schema field \"a\u{1B}[2Jb\u{202E}\" is bad\n  State: succeeded",
                       retryable: false)
        let show = harness.run("show", "\(job.id)")
        XCTAssertTrue(show.output.contains(#"  Error:     schema field "a\u001B[2Jb\u202E" is bad"# + "\n"
                                           + "             " + "  State: succeeded\n"), show.output)
        let list = harness.run("list", "--state", "failed")
        XCTAssertTrue(list.output.contains(#"schema field "a\u001B[2Jb\u202E" is bad"#), list.output)
        for output in [list.output, show.output] {
            XCTAssertFalse(output.unicodeScalars.contains { $0.value == 0x1B }, output)
        }
    }

    /// Issue 12: a running job's checkpoint, and a result that continued from one.
    func testShowSaysWhereAJobWasCheckpointedAndFromWhichTokenItResumed() throws {
        let harness = submitted()
        let store = try harness.store()
        let jobs = try store.claim(limit: 2, owner: "d", lease: 60)
        try store.renewLeases(owner: "d", jobIDs: [jobs[0].id], lease: 60, checkpoints: [
            JobCheckpoint(jobID: jobs[0].id, model: "fake-model", tokens: 96, resumes: 2, state: [1, 2, 3]),
        ])
        let running = harness.run("show", "p/a")
        XCTAssertEqual(running.code, 0, running.errors)
        XCTAssertTrue(running.output.contains("  Checkpoint: 96 generated tokens saved "), running.output)
        XCTAssertTrue(running.output.contains(" ago), resumed 2 times so far\n"), running.output)
        XCTAssertFalse(harness.run("show", "p/b").output.contains("Checkpoint"))

        var result = CLIHarness.result(for: jobs[0])
        result.timings.resumes = 1
        result.timings.resumedFromToken = 96
        result.timings.recomputedTokens = 80
        try store.complete(jobID: jobs[0].id, owner: "d", result: result)
        let done = harness.run("show", "p/a")
        XCTAssertTrue(done.output.contains("  Resumed:   once after an interruption; the last attempt continued from token 96 "
                                           + "(80 of those tokens recomputed)\n"), done.output)
        XCTAssertFalse(done.output.contains("Checkpoint"), "gone with the result")
    }

    /// Issue 10: fields accepted from an OpenAI file but without effect here are listed.
    func testShowListsTheFieldsThatWereAcceptedButIgnored() throws {
        let harness = CLIHarness()
        let line = #"{"custom_id": "q", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "#
            + #""messages": [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi", "name": "ann"}], "#
            + #""max_completion_tokens": 5, "user": "u-1", "metadata": {"team": "docs"}, "store": false}}"#
        XCTAssertEqual(harness.run("submit", harness.file("o.jsonl", [line])).code, 0)
        let outcome = harness.run("show", "q")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertTrue(outcome.output.contains("  Request:   chat, model m, max_tokens 5, temperature 1\n"), outcome.output)
        XCTAssertTrue(outcome.output.contains(#"  Ignored:   user "u-1", metadata {"team":"docs"}, store false, messages[1].name "ann""# + "\n"),
                      outcome.output)
        XCTAssertTrue(outcome.output.hasSuffix("Messages:\n  [system]\n    Be brief.\n  [user]\n    Hi\n"), outcome.output)
    }

    func testCancelOneJobOrABatch() throws {
        let harness = submitted()
        XCTAssertEqual(harness.run("cancel", "p/a").output, "Cancelled job 1 (p/a).\n")
        let again = harness.run("cancel", "1")
        XCTAssertEqual(again.code, 1)
        XCTAssertEqual(again.errors, "jobs: job 1 has already been cancelled; only queued or running jobs can be cancelled\n")
        XCTAssertEqual(harness.run("cancel", "--batch", "p").output, "Cancelled 2 jobs of batch p.\n")
        XCTAssertEqual(harness.run("cancel", "--batch", "p").output,
                       "Nothing to cancel: batch p has no queued or running jobs.\n")
        XCTAssertEqual(try harness.store().counts().cancelled, 3)
    }

    func testRetryOneJobOrAllFailed() throws {
        let harness = submitted()
        let store = try harness.store()
        for job in try store.claim(limit: 3, owner: "d", lease: 60) {
            try store.fail(jobID: job.id, owner: "d", message: "boom", retryable: false)
        }
        XCTAssertEqual(harness.run("retry", "2").output, "Queued job 2 (p/b) again.\n")
        let notFailed = harness.run("retry", "2")
        XCTAssertEqual(notFailed.code, 1)
        XCTAssertEqual(notFailed.errors, "jobs: job 2 is queued already; only failed or cancelled jobs can be retried\n")
        XCTAssertEqual(harness.run("retry", "--failed", "--batch", "p").output, "Queued 2 failed jobs in batch p again.\n")
        XCTAssertEqual(harness.run("retry", "--failed").output, "Nothing to retry: no failed jobs.\n")
        XCTAssertEqual(try store.counts().queued, 3)
    }
}
