import Foundation
import JobStore
import TestSupport
import XCTest

/// The files in Samples/: the prompt files pass `jobs submit`, and the systemd units say what
/// the README promises (and pass `systemd-analyze verify` where it is installed).
final class SamplesTests: XCTestCase {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Samples").path

    func testSamplePromptFilesSubmitCleanly() throws {
        let harness = CLIHarness()
        let nightly = harness.run("submit", SamplesTests.samples + "/nightly.jsonl")
        XCTAssertEqual(nightly.code, 0, nightly.errors)
        XCTAssertEqual(nightly.errors, "")
        let batch = harness.run("submit", SamplesTests.samples + "/openai-batch.jsonl")
        XCTAssertEqual(batch.code, 0, batch.errors)
        let chat = harness.run("submit", SamplesTests.samples + "/instruct-chat.jsonl")
        XCTAssertEqual(chat.code, 0, chat.errors)

        let store = try harness.store()
        let prompts = try store.list(batch: "nightly", limit: 1000).jobs
        let requests = try prompts.map { try $0.decodedRequest() }
        XCTAssertGreaterThanOrEqual(prompts.count, 40)
        XCTAssertTrue(prompts.allSatisfy { $0.kind == .completion })
        XCTAssertGreaterThanOrEqual(requests.filter { !$0.stop.isEmpty }.count, 10)
        XCTAssertGreaterThanOrEqual(requests.filter { $0.seed != nil }.count, 5)
        XCTAssertGreaterThan(Set(requests.map(\.maxTokens)).count, 3)
        for kind in ["blurb-", "summary-", "headline-", "faq-"] {
            XCTAssertGreaterThanOrEqual(prompts.filter { $0.customID.hasPrefix(kind) }.count, 5, kind)
        }
        // The default model is a base model: its two files are completions only. Chat is for an
        // instruct model (instruct-chat.jsonl, written for Qwen2.5 Coder 0.5B Instruct).
        let openAI = try store.list(batch: "openai-batch", limit: 1000).jobs
        XCTAssertGreaterThanOrEqual(openAI.count, 8)
        XCTAssertTrue(openAI.allSatisfy { $0.kind == .completion })
        let chats = try store.list(batch: "instruct-chat", limit: 1000).jobs
        XCTAssertGreaterThanOrEqual(chats.count, 8)
        XCTAssertTrue(chats.allSatisfy { $0.kind == .chat })
        XCTAssertEqual(try store.counts().queued, prompts.count + openAI.count + chats.count)
    }

    /// Prompts for a base model are few-shot: an example answer on the same line as the label
    /// the prompt ends with, so the model continues that line instead of starting a paragraph
    /// (which ended 9 of 43 nightly jobs empty at their "\n\n" stop). Whether the text is useful
    /// was checked by running every sample on the default model (README, Samples).
    func testBasePromptsEndWithALabelThatAnExampleAnswersOnItsLine() throws {
        let harness = CLIHarness()
        XCTAssertEqual(harness.run("submit", SamplesTests.samples + "/nightly.jsonl").code, 0)
        XCTAssertEqual(harness.run("submit", SamplesTests.samples + "/openai-batch.jsonl").code, 0)
        let store = try harness.store()
        let jobs = try store.list(batch: "nightly", limit: 1000).jobs + store.list(batch: "openai-batch", limit: 1000).jobs
        var fewShot = 0
        for job in jobs {
            guard case .prompt(let prompt) = try job.decodedRequest().input else { return XCTFail("\(job.customID) is not a completion") }
            XCTAssertFalse(prompt.hasSuffix(" ") || prompt.hasSuffix("\n"), "\(job.customID) ends in whitespace")
            guard let label = prompt.split(separator: "\n").last, label.hasSuffix(":") else { continue }
            XCTAssertTrue(prompt.dropLast(label.count).contains(label + " "),
                          "\(job.customID): no example answers \(label.debugDescription) on its line")
            fewShot += 1
        }
        XCTAssertGreaterThanOrEqual(fewShot, 45)
    }

    func testDaemonUnitRestartsOnFailureAndStopsWithSIGTERM() throws {
        let unit = try UnitFile(path: SamplesTests.samples + "/jobsd.service")
        XCTAssertEqual(unit["Service", "Type"], ["simple"])
        XCTAssertEqual(unit["Service", "Restart"], ["on-failure"])
        XCTAssertEqual(unit["Service", "KillSignal"], ["SIGTERM"])
        XCTAssertEqual(unit["Service", "ExecStart"].count, 1)
        let start = unit["Service", "ExecStart"][0]
        XCTAssertTrue(start.hasPrefix("/usr/local/bin/jobsd --db /var/lib/jobs/jobs.db --model "), start)
        XCTAssertGreaterThan(Int(unit["Service", "TimeoutStopSec"].first ?? "") ?? 0, 30)
        XCTAssertEqual(unit["Service", "ProtectSystem"], ["strict"])
        XCTAssertEqual(unit["Service", "NoNewPrivileges"], ["yes"])
        // ProtectSystem=strict leaves only the state directory writable: the database must be in it.
        XCTAssertEqual(unit["Service", "StateDirectory"], ["jobs"])
        XCTAssertEqual(unit["Install", "WantedBy"], ["multi-user.target"])
    }

    func testNightlyServiceReadsTheDateOnceWithEscapedPercentAndDollar() throws {
        let unit = try UnitFile(path: SamplesTests.samples + "/nightly.service")
        XCTAssertEqual(unit["Service", "Type"], ["oneshot"])
        let command = try XCTUnwrap(unit["Service", "ExecStart"].first)
        // As the shell gets it once systemd has unescaped %% and $$.
        let shell = command.replacingOccurrences(of: "%%", with: "%").replacingOccurrences(of: "$$", with: "$")
        XCTAssertTrue(shell.contains("day=$(date +%F);"), shell)
        for step in ["jobs submit \"/srv/prompts/$day.jsonl\" --batch \"nightly-$day\"",
                     "jobs wait --batch \"nightly-$day\"",
                     "jobs results --batch \"nightly-$day\" -o \"/srv/results/nightly-$day.jsonl\"",
                     "jobs report --batch \"nightly-$day\" -o \"/srv/results/nightly-$day.html\""] {
            XCTAssertTrue(shell.contains(step), step)
        }
        XCTAssertFalse(command.replacingOccurrences(of: "%%", with: "").contains("%"), "an unescaped % in \(command)")
        XCTAssertFalse(command.replacingOccurrences(of: "$$", with: "").contains("$"), "an unescaped $ in \(command)")
        let timer = try UnitFile(path: SamplesTests.samples + "/nightly.timer")
        XCTAssertEqual(timer["Timer", "Persistent"], ["true"])
        XCTAssertEqual(timer["Timer", "Unit"], ["nightly.service"])
        XCTAssertEqual(timer["Timer", "OnCalendar"].count, 1)
    }

    func testUnitsPassSystemdAnalyzeVerify() throws {
        guard let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
            .first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("systemd-analyze is not installed")
        }
        let directory = TemporaryDirectory(prefix: "jobs-units")
        // verify insists that ExecStart binaries exist; jobsd is not installed here.
        for name in ["jobsd.service", "nightly.service", "nightly.timer"] {
            let text = try String(contentsOfFile: SamplesTests.samples + "/" + name, encoding: .utf8)
            directory.write(name, text.replacingOccurrences(of: "/usr/local/bin/jobsd", with: "/bin/true"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyze)
        process.arguments = ["verify"] + ["jobsd.service", "nightly.service", "nightly.timer"].map { directory.file($0) }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertEqual(output, "")
    }
}

/// A systemd unit file read into sections of keys and their values (a key given several times
/// keeps every value; backslash-newline continues a line, as systemd reads it).
struct UnitFile {
    private var values: [String: [String]] = [:]

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\\\n", with: " ")
        var section = ""
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                section = String(line.dropFirst().dropLast())
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            values[section + "/" + key, default: []].append(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces))
        }
    }

    subscript(section: String, key: String) -> [String] { values[section + "/" + key] ?? [] }
}
