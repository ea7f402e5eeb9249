import Foundation
import JSON
import XCTest

final class SubmitCommandTests: XCTestCase {
    func testSubmitsAValidFile() throws {
        let harness = CLIHarness()
        let file = harness.file("prompts.jsonl", CLIHarness.shortLines)
        let outcome = harness.run("submit", file, "--priority", "4")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertEqual(outcome.output, """
            Submitted 3 jobs as batch prompts (priority 4).
            Follow it with: jobs wait --batch prompts

            """)
        XCTAssertEqual(outcome.errors, "")
        let jobs = try harness.store().list(limit: 10).jobs
        XCTAssertEqual(jobs.map(\.qualifiedName), ["prompts/a", "prompts/b", "prompts/c"])
        XCTAssertEqual(jobs.map(\.priority), [4, 4, 4])
    }

    /// OpenAI files name a model; the daemon's own runs, so submit says so once (on standard
    /// error, naming each distinct model), and queues the lines.
    func testNotesTheModelsAFileNames() throws {
        let harness = CLIHarness()
        let lines = ["gpt-4o-mini", "gpt-4o", "gpt-4o-mini"].enumerated().map { index, model in
            #"{"custom_id": "r\#(index)", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "\#(model)", "#
                + #""messages": [{"role": "user", "content": "Hi"}]}}"#
        }
        let file = harness.file("openai.jsonl", lines)
        let outcome = harness.run("submit", file)
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertEqual(outcome.errors, #"note: \#(file) names models "gpt-4o", "gpt-4o-mini"; jobsd runs the model it was started with, "#
                       + "and each result records which\n")
        XCTAssertTrue(outcome.output.hasPrefix("Submitted 3 jobs as batch openai."), outcome.output)

        // Untrusted names: quoted, control and bidi characters escaped, long ones cut, at most three.
        let odd = [" ", "a\nb\u{202E}", String(repeating: "m", count: 5000), "x", "y"].enumerated().map { index, model in
            JSONValue.object([JSONMember("id", .string("o\(index)")), JSONMember("prompt", .string("Hi")),
                              JSONMember("model", .string(model))]).serialized()
        }
        let oddFile = harness.file("odd.jsonl", odd)
        let noted = harness.run("submit", oddFile)
        XCTAssertEqual(noted.code, 0, noted.errors)
        XCTAssertEqual(noted.errors, #"note: \#(oddFile) names models " ", "a\nb\u202e", "\#(String(repeating: "m", count: 39))…" and 2 more; "#
                       + "jobsd runs the model it was started with, and each result records which\n")

        // Nothing queued, no note: a taken name, or a bad one (checked before the file is read).
        XCTAssertEqual(harness.run("submit", oddFile, "--batch", "openai").errors,
                       "jobs: a batch named openai already exists; choose another name with --batch\n")
        let badName = harness.run("submit", harness.file("bad.jsonl", [#"{"id": "a"}"#]), "--batch", "x/y")
        XCTAssertEqual(badName.code, 1)
        XCTAssertFalse(badName.errors.contains("bad.jsonl:1"), badName.errors)
        XCTAssertTrue(badName.errors.contains(#"invalid batch name "x/y""#), badName.errors)
    }

    func testReportsEveryBadLineAndInsertsNothing() throws {
        let harness = CLIHarness()
        let file = harness.file("bad.jsonl", [
            #"{"id": "a", "prompt": "fine"}"#,
            #"{"custom_id": "b", "method": "POST", "url": "/v1/completions", "body": {"prompt": "p", "max_tokens": -5}}"#,
            #"{"id": "c", "prompt": "p""#,
            #"{"id": "a", "prompt": "again"}"#,
            #"{"id": "d", "prompt": "p", "temprature": 0}"#,
        ])
        let outcome = harness.run("submit", file)
        XCTAssertEqual(outcome.code, 1)
        XCTAssertEqual(outcome.output, "")
        XCTAssertEqual(outcome.errors, """
            \(file):2: body.max_tokens: must be a positive integer, got -5
            \(file):3: invalid JSON: expected ',' or '}' in object, found end of line at column 26
            \(file):4: id: duplicate id "a" (first used on line 1)
            \(file):5: temprature: unknown field (did you mean temperature?)
            jobs: 4 lines of 5 are invalid; nothing was submitted. Fix them, or use --skip-invalid to submit the 1 valid line

            """)
        XCTAssertEqual(try harness.store().counts().total, 0)
    }

    /// A line's problem quotes the line (a field's name, a duplicate id); escape sequences and
    /// bidi controls in them are shown as `\u` escapes, not run by the terminal.
    func testLineProblemsShowControlCharactersEscaped() throws {
        let harness = CLIHarness()
        let file = harness.file("hidden.jsonl", [
            #"{"id": "a\u001b[2J", "prompt": "p"}"#,
            #"{"id": "a\u001b[2J", "prompt": "p"}"#,
            #"{"id": "b", "prompt": "p", "\u001b]0;pwned\u0007x": 1}"#,
            #"{"id": "c", "prompt": "p", "\u202etemp": 1}"#,
            #"{"id": "d", "prompt": "p", "a\nb: fake\nhidden.jsonl:9: id": 1}"#,
        ])
        let outcome = harness.run("submit", file)
        XCTAssertEqual(outcome.code, 1)
        let lines = outcome.errors.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5, outcome.errors)
        XCTAssertEqual(lines[0], "\(file):2: id: duplicate id \"a\\u001b[2J\" (first used on line 1)")
        XCTAssertTrue(lines[1].hasPrefix("\(file):3: \\u001B]0;pwned\\u0007x: unknown field; allowed: "), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("\(file):4: \\u202Etemp: unknown field"), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("\(file):5: a\\u000Ab: fake\\u000Ahidden.jsonl:9: id: unknown field"), lines[3])
        // The file's own name is shown escaped in every message that names it.
        let oddName = harness.file("m\u{1B}[2J.jsonl", [#"{"id": "a", "prompt": "p"}"#])
        let first = harness.run("submit", oddName), again = harness.run("submit", oddName)
        XCTAssertEqual(first.code, 0, first.errors)
        XCTAssertTrue(again.output.contains("m\\u001B[2J.jsonl was already submitted"), again.output)
        XCTAssertFalse((first.output + first.errors + again.output + again.errors).contains("\u{1B}"))
        XCTAssertFalse(outcome.errors.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
    }

    func testSkipInvalidSubmitsTheValidLines() throws {
        let harness = CLIHarness()
        let file = harness.file("mixed.jsonl", [#"{"id": "a", "prompt": "ok"}"#, #"{"id": "b"}"#])
        let outcome = harness.run("submit", file, "--skip-invalid", "--batch", "mixed-run")
        XCTAssertEqual(outcome.code, 0)
        XCTAssertEqual(outcome.errors, "\(file):2: prompt: missing (give prompt, or messages for a chat)\n")
        XCTAssertTrue(outcome.output.hasPrefix("Submitted 1 job as batch mixed-run; skipped 1 invalid line."), outcome.output)
        XCTAssertEqual(try harness.store().batch(named: "mixed-run")?.skippedCount, 1)
    }

    func testSubmittingTheSameFileAgainQueuesNothing() throws {
        let harness = CLIHarness()
        let file = harness.file("p.jsonl", CLIHarness.shortLines)
        XCTAssertEqual(harness.run("submit", file).code, 0)
        let again = harness.run("submit", file)
        XCTAssertEqual(again.code, 0)
        XCTAssertTrue(again.output.hasPrefix("\(file) was already submitted as batch p on "), again.output)
        XCTAssertTrue(again.output.hasSuffix("(3 jobs); nothing was queued.\n"), again.output)
        XCTAssertEqual(try harness.store().counts().total, 3)
        XCTAssertEqual(try harness.store().batches().map(\.name), ["p"])
    }

    /// The nightly recipe: `submit DAY.jsonl --batch nightly-DAY`, then `wait --batch nightly-DAY`.
    /// Two nights' files may be equal; the second night must still get its batch, and running a
    /// night's command twice must still queue it once.
    func testTheSameContentUnderANewBatchNameIsQueuedAgain() throws {
        let harness = CLIHarness()
        let first = harness.file("2026-12-01.jsonl", CLIHarness.shortLines)
        let second = harness.file("2026-12-02.jsonl", CLIHarness.shortLines)
        XCTAssertEqual(harness.run("submit", first, "--batch", "nightly-2026-12-01").code, 0)

        let next = harness.run("submit", second, "--batch", "nightly-2026-12-02")
        XCTAssertEqual(next.code, 0, next.errors)
        XCTAssertTrue(next.output.hasPrefix(
            "Submitted 3 jobs as batch nightly-2026-12-02 (the same content as batch nightly-2026-12-01 of "),
            next.output)
        XCTAssertEqual(try harness.store().batch(named: "nightly-2026-12-02")?.jobCount, 3)
        XCTAssertEqual(try harness.store().counts().total, 6)

        let rerun = harness.run("submit", second, "--batch", "nightly-2026-12-02")
        XCTAssertEqual(rerun.code, 0)
        XCTAssertTrue(rerun.output.hasPrefix("\(second) was already submitted as batch nightly-2026-12-02 on "),
                      rerun.output)
        XCTAssertEqual(try harness.store().counts().total, 6)

        let other = harness.file("other.jsonl", [#"{"id": "z", "prompt": "different"}"#])
        let taken = harness.run("submit", other, "--batch", "nightly-2026-12-02")
        XCTAssertEqual(taken.code, 1)
        XCTAssertTrue(taken.errors.contains("a batch named nightly-2026-12-02 already exists"), taken.errors)
        XCTAssertEqual(try harness.store().counts().total, 6)
    }

    func testANameDifferingOnlyByCaseFromAnotherIsNoted() throws {
        let harness = CLIHarness()
        XCTAssertEqual(harness.run("submit", harness.file("a.jsonl", CLIHarness.shortLines), "--batch", "nightly-1").code, 0)
        let twin = harness.run("submit", harness.file("b.jsonl", [#"{"id": "x", "prompt": "other"}"#]), "--batch", "Nightly-1")
        XCTAssertEqual(twin.code, 0, twin.errors)
        XCTAssertEqual(twin.errors, "note: batch Nightly-1 is new, though a batch named nightly-1 exists: batch names are case-sensitive\n")
        let third = harness.run("submit", harness.file("d.jsonl", [#"{"id": "z", "prompt": "third"}"#]), "--batch", "NIGHTLY-1")
        XCTAssertEqual(third.errors, "note: batch NIGHTLY-1 is new, though batches named nightly-1 and Nightly-1 exist: "
                       + "batch names are case-sensitive\n")
        let other = harness.run("submit", harness.file("c.jsonl", [#"{"id": "y", "prompt": "more"}"#]), "--batch", "nightly-2")
        XCTAssertEqual(other.errors, "")
    }

    /// With no valid line, the error does not offer --skip-invalid (it would submit nothing).
    func testAFileWithNoValidLineIsNotOfferedSkipInvalid() {
        let harness = CLIHarness()
        let outcome = harness.run("submit", harness.file("none.jsonl", [#"{"id": "a"}"#, #"{"id": "b", "prompt": 5}"#]))
        XCTAssertEqual(outcome.code, 1)
        XCTAssertTrue(outcome.errors.hasSuffix("jobs: 2 lines of 2 are invalid; nothing was submitted. Fix them\n"), outcome.errors)
    }

    func testSubmitsFromStandardInput() throws {
        let harness = CLIHarness()
        harness.standardInput = Array((CLIHarness.shortLines.joined(separator: "\n") + "\n").utf8)
        let outcome = harness.run("submit", "-")
        XCTAssertEqual(outcome.code, 0, outcome.errors)
        XCTAssertTrue(outcome.output.hasPrefix("Submitted 3 jobs as batch stdin."))
        harness.standardInput = Array(#"{"id": 1}"#.utf8)
        let bad = harness.run("submit", "-")
        XCTAssertEqual(bad.code, 1)
        XCTAssertTrue(bad.errors.hasPrefix("stdin:1: prompt: missing"), bad.errors)
    }

    func testMissingEmptyAndDirectoryFilesAreUserErrors() {
        let harness = CLIHarness()
        let missing = harness.run("submit", harness.directory.file("nope.jsonl"))
        XCTAssertEqual(missing.code, 1)
        XCTAssertEqual(missing.errors, "jobs: cannot read \(harness.directory.file("nope.jsonl")): No such file or directory\n")
        let blank = harness.directory.write("blank.jsonl", "\n\n  \n")
        XCTAssertEqual(harness.run("submit", blank).errors, "jobs: \(blank) has no jobs (only blank lines)\n")
        let empty = harness.directory.write("empty.jsonl", "")
        XCTAssertEqual(harness.run("submit", empty).errors, "jobs: \(empty) has no jobs (it is empty)\n")
        XCTAssertEqual(harness.run("submit", harness.directory.path).errors,
                       "jobs: cannot read \(harness.directory.path): it is a directory, not a file\n")
    }

    func testTakenOrInvalidBatchNamesAreUserErrors() {
        let harness = CLIHarness()
        XCTAssertEqual(harness.run("submit", harness.file("one.jsonl", [#"{"id": 1, "prompt": "x"}"#]), "--batch", "n").code, 0)
        let taken = harness.run("submit", harness.file("two.jsonl", [#"{"id": 1, "prompt": "y"}"#]), "--batch", "n")
        XCTAssertEqual(taken.code, 1)
        XCTAssertEqual(taken.errors, "jobs: a batch named n already exists; choose another name with --batch\n")
        let invalid = harness.run("submit", harness.file("three.jsonl", [#"{"id": 1, "prompt": "z"}"#]), "--batch", "a/b")
        XCTAssertEqual(invalid.code, 1)
        XCTAssertTrue(invalid.errors.hasPrefix("jobs: invalid batch name \"a/b\""), invalid.errors)
    }
}
