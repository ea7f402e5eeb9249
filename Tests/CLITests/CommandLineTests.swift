import CommandLineKit
import Foundation
import XCTest
@testable import JobsCLI

/// The command line itself: help, usage errors, exit codes, database location.
final class CommandLineTests: XCTestCase {
    func testHelpListsEveryCommand() {
        let outcome = CLIHarness().run("--help")
        XCTAssertEqual(outcome.code, 0)
        for name in ["submit", "list", "show", "cancel", "retry", "wait", "results", "stats", "prune"] {
            XCTAssertTrue(outcome.output.contains("\n  \(name) "), "\(name) missing from:\n\(outcome.output)")
        }
        XCTAssertEqual(outcome.errors, "")
    }

    func testNoCommandIsAUsageError() {
        let outcome = CLIHarness().run([])
        XCTAssertEqual(outcome.code, 2)
        XCTAssertTrue(outcome.errors.contains("Usage: jobs [--db PATH] COMMAND"), outcome.errors)
        XCTAssertEqual(outcome.output, "")
    }

    func testUnknownCommandSuggestsTheClosest() {
        let outcome = CLIHarness().run("sumbit", "x.jsonl")
        XCTAssertEqual(outcome.code, 2)
        XCTAssertEqual(outcome.errors, """
            jobs: unknown command 'sumbit' (did you mean 'submit'?)
            Run 'jobs --help' for the list of commands.

            """)
    }

    func testUnknownOptionIsAUsageErrorWithAHint() {
        let outcome = CLIHarness().run("submit", "--bach", "x", "f.jsonl")
        XCTAssertEqual(outcome.code, 2)
        XCTAssertEqual(outcome.errors, """
            jobs submit: unknown option --bach (did you mean --batch?)
            Usage: jobs submit FILE [--batch NAME] [--priority N] [--max-attempts N] [--skip-invalid]
            Run 'jobs submit --help' for details.

            """)
    }

    func testMalformedArgumentsAreUsageErrors() {
        let harness = CLIHarness()
        let cases: [([String], String)] = [
            (["submit"], "jobs submit: missing FILE"),
            (["submit", "a", "b"], "jobs submit: unexpected argument 'b'"),
            (["submit", "a", "--priority", "high"], "jobs submit: --priority must be an integer from -1000000 to 1000000, got 'high'"),
            (["submit", "a", "--batch"], "jobs submit: --batch needs a value (NAME)"),
            (["submit", "a", "--skip-invalid=yes"], "jobs submit: --skip-invalid takes no value"),
            (["list", "--limit", "0"], "jobs list: --limit must be an integer from 1 to 1000000, got '0'"),
            (["list", "--state", "done"], "jobs list: unknown state 'done'; use one of queued, running, succeeded, failed, cancelled"),
            (["cancel"], "jobs cancel: give a job ID or --batch B"),
            (["cancel", "1", "--batch", "b"], "jobs cancel: give a job ID or --batch B, not both"),
            (["retry"], "jobs retry: give a job ID or --failed"),
            (["retry", "--batch", "b"], "jobs retry: --batch goes with --failed"),
            (["prune"], "jobs prune: missing --older-than AGE"),
            (["prune", "--older-than", "30"], "jobs prune: --older-than must be a number with a unit s, m, h, d or w (like 30d), got '30'"),
            (["prune", "--older-than", "1d", "--state", "running"], "jobs prune: running jobs cannot be pruned; --state takes succeeded, failed or cancelled"),
            (["wait", "--interval", "-1"], "jobs wait: --interval must be a positive number of seconds, got '-1'"),
            (["results", "-o"], "jobs results: -o needs a value (FILE)"),
            (["stats", "--json=1"], "jobs stats: --json takes no value"),
        ]
        for (arguments, message) in cases {
            let outcome = harness.run(arguments)
            XCTAssertEqual(outcome.code, 2, "\(arguments)")
            XCTAssertTrue(outcome.errors.hasPrefix(message + "\nUsage: jobs "), "\(arguments):\n\(outcome.errors)")
            XCTAssertEqual(outcome.output, "")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.databasePath),
                       "usage errors must not touch the database")
    }

    func testCommandHelpIsGeneratedFromItsSpec() {
        let harness = CLIHarness()
        let outcome = harness.run("submit", "--help")
        XCTAssertEqual(outcome.code, 0)
        XCTAssertTrue(outcome.output.hasPrefix("jobs submit: queue the prompts of a JSONL file as one batch\n\nUsage: jobs submit FILE "), outcome.output)
        for option in SubmitCommand.spec.options {
            XCTAssertTrue(outcome.output.contains("--\(option.name)"), option.name)
        }
        XCTAssertTrue(outcome.output.contains("--db PATH"))
        XCTAssertEqual(harness.run("help", "submit").output, outcome.output)
        XCTAssertEqual(harness.run("submit", "-h").output, outcome.output)
        for command in JobsCommandLine.commands {
            let help = harness.run(command.spec.name, "--help")
            XCTAssertEqual(help.code, 0, command.spec.name)
            XCTAssertTrue(help.output.contains("Usage: jobs \(command.spec.name)"), command.spec.name)
        }
    }

    func testParserAcceptsEveryOptionSpelling() throws {
        let spec = ResultsCommand.spec
        for arguments in [["--batch", "b", "-o", "f"], ["--batch=b", "--output=f"], ["-of", "--batch", "b"],
                          ["--output", "f", "--batch", "b"]] {
            let parsed = try ArgumentParser.parse(arguments, spec: spec)
            XCTAssertEqual(parsed.value("batch"), "b", "\(arguments)")
            XCTAssertEqual(parsed.value("output"), "f", "\(arguments)")
        }
        let dashes = try ArgumentParser.parse(["--", "--not-an-option"], spec: ShowCommand.spec)
        XCTAssertEqual(dashes.positionals, ["--not-an-option"])
        let stdin = try ArgumentParser.parse(["-", "--priority", "-5"], spec: SubmitCommand.spec)
        XCTAssertEqual(stdin.positionals, ["-"])
        XCTAssertEqual(stdin.value("priority"), "-5")
    }

    func testGlobalDatabaseOptionWorksBeforeAndAfterTheCommand() {
        let harness = CLIHarness()
        let file = harness.file("p.jsonl", CLIHarness.shortLines)
        let other = harness.directory.file("other.db")
        XCTAssertEqual(harness.run("--db", other, "submit", file).code, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.databasePath), "--db beats JOBS_DB")
        XCTAssertTrue(harness.run("list", "--db", other).output.contains("p/a"))
        XCTAssertTrue(harness.run("--db=\(other)", "list").output.contains("p/b"))
    }

    func testDefaultDatabaseLivesInXDGDataHomeWithPrivateModes() throws {
        let harness = CLIHarness()
        let data = harness.directory.file("data")
        harness.environment = ["XDG_DATA_HOME": data, "HOME": "/nonexistent"]
        XCTAssertEqual(harness.run("submit", harness.file("p.jsonl", CLIHarness.shortLines)).code, 0)
        let folder = try FileManager.default.attributesOfItem(atPath: data + "/jobs")
        XCTAssertEqual((folder[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        let database = try FileManager.default.attributesOfItem(atPath: data + "/jobs/jobs.db")
        XCTAssertEqual((database[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }

    func testDefaultDatabaseFallsBackToHome() throws {
        XCTAssertEqual(try DatabaseLocation.resolve(option: nil, environment: ["HOME": "/home/u"]).path,
                       "/home/u/.local/share/jobs/jobs.db")
        XCTAssertEqual(try DatabaseLocation.resolve(option: nil, environment: ["HOME": "/home/u", "JOBS_DB": "/x.db"]).path,
                       "/x.db")
        XCTAssertThrowsError(try DatabaseLocation.resolve(option: nil, environment: [:]))
    }

    func testReadingCommandsDoNotCreateADatabase() {
        let harness = CLIHarness()
        for arguments in [["list"], ["show", "1"], ["stats"], ["results"], ["wait"]] {
            let outcome = harness.run(arguments)
            XCTAssertEqual(outcome.code, 1, "\(arguments)")
            XCTAssertTrue(outcome.errors.hasPrefix("jobs: no database at \(harness.databasePath); submit jobs first"),
                          outcome.errors)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.databasePath))
    }
}
