import CommandLineKit
import Foundation
import KVCache
import Kernels
import GGUF
@testable import JobStore
import Model
import TestSupport
import XCTest

/// `jobs doctor` end to end: a good setup, a missing model, databases that are missing, newer
/// than this build, or damaged.
final class DoctorCommandTests: XCTestCase {
    /// A database and a tiny model that load; a small KV cache so any test machine has the memory.
    private func goodSetup() throws -> (CLIHarness, model: String) {
        if case .failure = CPUFeatures.level { throw XCTSkip("this CPU cannot run the decoder's kernels") }
        let harness = CLIHarness()
        _ = try harness.store()
        let model = try TinyModel.write(.gemma3, to: harness.directory.file("tiny.gguf"))
        return (harness, model)
    }

    func testGoodSetupPassesEveryCheckAndExitsZero() throws {
        let (harness, model) = try goodSetup()
        let outcome = harness.run("doctor", "--model", model, "--kv-memory", "64M")
        XCTAssertEqual(outcome.code, 0, outcome.output + outcome.errors)
        XCTAssertEqual(outcome.errors, "")
        let report = try DoctorOutput(outcome.output)
        XCTAssertEqual(report.findings.map(\.check), ["database", "schema", "journal", "integrity", "references", "cpu",
                                                      "openblas", "model", "resident size", "model memory", "chat format", "memory", "disk"])
        XCTAssertFalse(report.findings.contains { $0.status == "FAIL" }, outcome.output)
        XCTAssertTrue(report["database"].text.hasPrefix("\(harness.databasePath) (JOBS_DB), "), outcome.output)
        XCTAssertTrue(report["database"].text.hasSuffix(", writable"), outcome.output)
        XCTAssertEqual(report["schema"].text, "version 5, the newest this jobs knows")
        XCTAssertTrue(report["journal"].text.hasPrefix("WAL"))
        XCTAssertEqual(report["integrity"].text, "SQLite quick_check found no problems")
        XCTAssertEqual(report["references"].text, "every job, result and checkpoint refers to a row that exists")
        XCTAssertTrue(report["model"].text.hasPrefix("\(model) (--model): tiny gemma3, gemma3, "), outcome.output)
        XCTAssertTrue(report["model"].text.contains(" parameters, context 512 tokens, loaded in "), outcome.output)
        // The default KV type (bf16 with AVX-512 BF16, else f16): 2 bytes an element either way.
        XCTAssertTrue(report["model memory"].text.hasSuffix(
            " of weights; \(KVPrecision.default) KV cache 256 B per token, so 64 MiB holds 262,144 tokens (512.0 full contexts)"), outcome.output)
        XCTAssertTrue(report["resident size"].text.hasPrefix("about "), outcome.output)
        XCTAssertTrue(report["resident size"].text.contains(" of weights as loaded (the file is "), outcome.output)
        XCTAssertTrue(report["resident size"].text.contains(" + the 64 MiB KV pool (--kv-memory)"), outcome.output)
        let f32 = try DoctorOutput(harness.run("doctor", "--model", model, "--kv-memory", "64M", "--kv-type", "f32").output)
        XCTAssertTrue(f32["model memory"].text.hasSuffix(
            " of weights; f32 KV cache 512 B per token, so 64 MiB holds 131,072 tokens (256.0 full contexts)"))
        // A pool with fewer blocks than one sequence takes (a block of each of the tiny model's
        // two groups of layers): jobsd refuses it (tooSmall), so doctor fails it too; the tokens
        // are counted in whole blocks, as jobsd counts them.
        for size in ["1KiB", "3KiB"] {
            let tiny = harness.run("doctor", "--model", model, "--kv-memory", size)
            XCTAssertEqual(tiny.code, 1, tiny.output)
            let tinyReport = try DoctorOutput(tiny.output)
            XCTAssertEqual(tinyReport["model memory"].status, "FAIL", tiny.output)
            XCTAssertTrue(tinyReport["model memory"].text.hasSuffix(
                "jobsd needs at least 2 KV blocks of 2 KiB, one for each group of the model's layers"), tiny.output)
            XCTAssertEqual(tinyReport["model memory"].fix, "raise --kv-memory to at least 4 KiB")
        }
        let smallest = try DoctorOutput(harness.run("doctor", "--model", model, "--kv-memory", "4KiB").output)
        XCTAssertEqual(smallest["model memory"].status, "ok")
        XCTAssertTrue(smallest["model memory"].text.hasSuffix("so 4 KiB holds 16 tokens (0.0 full contexts)"),
                      smallest["model memory"].text)
        let bad = harness.run("doctor", "--model", model, "--kv-type", "q8")
        XCTAssertEqual(bad.code, 2, bad.errors)
        XCTAssertTrue(bad.errors.contains("--kv-type: expected f16, bf16 or f32, got 'q8'"), bad.errors)
        // The working memory jobsd keeps beside its pool: the tiny model's forward pass for 512
        // batch tokens and 64 sequences, and the runtime's 64 MiB; more batch tokens, more memory.
        let working = try XCTUnwrap(WorkingMemory.estimatedBytes(of: GGUFFile(path: model), tokens: 512, rows: 64))
            + KVBlockStorage.processOverhead
        XCTAssertTrue(report["memory"].text.contains(" of weights + 64 MiB of KV cache + "
            + "\(ByteCount.format(working)) of working memory)"), outcome.output)
        XCTAssertTrue(report["resident size"].text.hasSuffix(" + \(ByteCount.format(working)) of working memory (activations "
            + "and logits for 512 batch tokens and 64 sequences, --max-batch-tokens and --max-seqs; the runtime)"),
                      outcome.output)
        let larger = try DoctorOutput(harness.run("doctor", "--model", model, "--kv-memory", "64M",
                                                  "--max-batch-tokens", "8192", "--max-seqs", "8").output)
        let largerWorking = try WorkingMemory.estimatedBytes(of: GGUFFile(path: model), tokens: 8192, rows: 8)
            + KVBlockStorage.processOverhead
        XCTAssertGreaterThan(largerWorking, working)
        XCTAssertTrue(larger["memory"].text.contains(" + \(ByteCount.format(largerWorking)) of working memory)"), "\(larger.findings)")
        XCTAssertTrue(larger["resident size"].text.contains("for 8,192 batch tokens and 8 sequences"), "\(larger.findings)")
        // More sequences than batch tokens: a step still has at most one logit row per token.
        let one = try DoctorOutput(harness.run("doctor", "--model", model, "--kv-memory", "64M",
                                               "--max-batch-tokens", "1", "--max-seqs", "4096").output)
        let oneWorking = try WorkingMemory.estimatedBytes(of: GGUFFile(path: model), tokens: 1, rows: 1)
            + KVBlockStorage.processOverhead
        XCTAssertTrue(one["resident size"].text.contains(" + \(ByteCount.format(oneWorking)) of working memory (activations "
            + "and logits for 1 batch token and 4,096 sequences"), "\(one.findings)")
        let badTokens = harness.run("doctor", "--model", model, "--max-batch-tokens", "0")
        XCTAssertEqual(badTokens.code, 2, badTokens.errors)
        XCTAssertTrue(badTokens.errors.contains("--max-batch-tokens must be an integer from 1 to 1048576, got '0'"), badTokens.errors)
        for finding in report.findings {
            XCTAssertEqual(finding.fix == nil, finding.status == "ok", "\(finding)")
        }
        XCTAssertTrue(outcome.output.hasSuffix("\nAll checks passed.\n") || outcome.output.contains("\nNo failures; "),
                      outcome.output)
    }

    /// Issue 10, fault 4: what the template adds is said; what cannot be followed is a warning.
    func testChatFormatSaysWhatTheTemplateAddsAndWhatItCannotFollow() throws {
        let (harness, _) = try goodSetup()
        let qwen = try TinyModel.write(.qwen2, to: harness.directory.file("qwen.gguf"), chatTemplate: ChatTemplates.qwen25)
        let qwenReport = try DoctorOutput(harness.run("doctor", "--model", qwen, "--kv-memory", "64M").output)
        XCTAssertEqual(qwenReport["chat format"].text, "ChatML; a conversation without a system message gets the template's: "
            + "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
        XCTAssertFalse(qwenReport.findings.contains { $0.check == "chat template" })

        let llama = try TinyModel.write(.llama, to: harness.directory.file("llama.gguf"), chatTemplate: ChatTemplates.llama31Preamble)
        let outcome = harness.run("doctor", "--model", llama, "--kv-memory", "64M")
        let report = try DoctorOutput(outcome.output)
        XCTAssertEqual(report["chat format"].text, "Llama 3")
        XCTAssertEqual(report["chat template"].status, "warn", outcome.output)
        XCTAssertTrue(report["chat template"].text.contains("dated system preamble"), outcome.output)
        XCTAssertNotNil(report["chat template"].fix)
    }

    func testMissingModelFailsWithAFixAndExitsOne() throws {
        let (harness, _) = try goodSetup()
        let missing = harness.directory.file("no-such-model.gguf")
        let outcome = harness.run("doctor", "--model", missing, "--kv-memory", "64M")
        XCTAssertEqual(outcome.code, 1)
        let report = try DoctorOutput(outcome.output)
        XCTAssertEqual(report["model"].status, "FAIL")
        XCTAssertEqual(report["model"].text, "no model file at \(missing) (--model)")
        XCTAssertEqual(report["model"].fix, "check the path given by --model, or leave it out to use the default model "
            + "(Scripts/install-model installs it)")
        XCTAssertTrue(report["memory"].text.contains("(model weights unknown + 64 MiB of KV cache + 64 MiB of working memory)"), outcome.output)
        XCTAssertFalse(report.findings.contains { $0.check == "model memory" })
        XCTAssertFalse(outcome.output.contains("All checks passed"))
        XCTAssertEqual(outcome.errors, "jobs: 1 check failed; the fix lines above say what to do\n")

        // A path with control characters is shown escaped, not run by the terminal.
        let odd = harness.directory.file("m\u{1B}]0;x\u{7}\u{202E}.gguf")
        let oddOutcome = harness.run("doctor", "--model", odd, "--kv-memory", "64M")
        XCTAssertEqual(try DoctorOutput(oddOutcome.output)["model"].text,
                       "no model file at \(harness.directory.file("m\\u001B]0;x\\u0007\\u202E.gguf")) (--model)")
        XCTAssertFalse(oddOutcome.output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
    }

    func testMissingDefaultModelPointsAtTheInstaller() throws {
        let (harness, _) = try goodSetup()
        let outcome = harness.run("doctor", "--kv-memory", "64M")
        XCTAssertEqual(outcome.code, 1)
        let report = try DoctorOutput(outcome.output)
        let expected = harness.directory.file("home") + "/.local/share/jobs/models/" + DefaultModel.fileName
        XCTAssertEqual(report["model"].text, "no model file at \(expected) (default)")
        XCTAssertEqual(report["model"].fix, "install the default model (Gemma 3 270M, 253 MB) with Scripts/install-model, "
            + "or give --model PATH or set JOBS_MODEL")
    }

    func testDatabaseFromANewerJobsFails() throws {
        let (harness, model) = try goodSetup()
        let connection = try Connection(path: harness.databasePath, create: false, busyTimeoutMilliseconds: 1000)
        try connection.execute("""
            INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99, 'future', 'abc', 0)
            """)
        let outcome = harness.run("doctor", "--model", model, "--kv-memory", "64M")
        XCTAssertEqual(outcome.code, 1)
        let report = try DoctorOutput(outcome.output)
        XCTAssertEqual(report["schema"].status, "FAIL")
        XCTAssertEqual(report["schema"].text, "version 99, but this jobs knows versions up to 5: a newer jobs wrote it")
        XCTAssertEqual(report["schema"].fix, "upgrade jobs and jobsd to the version that wrote this database (or newer)")
        XCTAssertEqual(report["integrity"].status, "ok")
        XCTAssertEqual(outcome.errors, "jobs: 1 check failed; the fix lines above say what to do\n")
    }

    /// Rows left pointing at a deleted batch (only editing by hand with foreign keys off does
    /// that) stop migration 005 from committing: doctor names them and gives the exact delete,
    /// which, run, clears the finding.
    func testRowsReferringToMissingRowsFailWithTheDeleteThatRemovesThem() throws {
        let (harness, model) = try goodSetup()
        XCTAssertEqual(harness.run("submit", harness.file("p.jsonl", CLIHarness.shortLines)).code, 0)
        let connection = try Connection(path: harness.databasePath, create: false, busyTimeoutMilliseconds: 1000)
        try connection.execute("PRAGMA foreign_keys = OFF; DELETE FROM batches;")
        let outcome = harness.run("doctor", "--model", model, "--kv-memory", "64M")
        XCTAssertEqual(outcome.code, 1)
        let report = try DoctorOutput(outcome.output)
        XCTAssertEqual(report["references"].status, "FAIL")
        XCTAssertEqual(report["references"].text, "3 rows refer to rows that do not exist (jobs row 1 -> batches, "
                       + "jobs row 2 -> batches, jobs row 3 -> batches); was the file edited by hand?")
        let delete = "PRAGMA foreign_keys = ON; DELETE FROM jobs WHERE rowid IN (1, 2, 3);"
        XCTAssertEqual(report["references"].fix,
                       "stop jobsd, copy the file, then delete them: sqlite3 \(harness.databasePath) '\(delete)'")
        try connection.execute(delete)
        let after = try DoctorOutput(harness.run("doctor", "--model", model, "--kv-memory", "64M").output)
        XCTAssertEqual(after["references"].status, "ok")
    }

    func testDamagedDatabaseFails() throws {
        let (harness, model) = try goodSetup()
        let path = harness.directory.write("damaged.db", String(repeating: "not a database at all\n", count: 100))
        let outcome = harness.run("--db", path, "doctor", "--model", model, "--kv-memory", "64M")
        XCTAssertEqual(outcome.code, 1)
        let report = try DoctorOutput(outcome.output)
        XCTAssertEqual(report["database"].status, "FAIL")
        XCTAssertTrue(report["database"].text.hasPrefix("cannot use \(path) (--db): \(path) is not a jobs database or is damaged"),
                      outcome.output)
        XCTAssertEqual(report["database"].fix, "point --db or JOBS_DB at a jobs database, or restore this one from a backup")
        XCTAssertFalse(report.findings.contains { $0.check == "schema" })
    }

    func testMissingDatabaseIsFineWhereSubmitCanCreateItAndIsNotCreated() throws {
        let (harness, model) = try goodSetup()
        harness.environment["JOBS_DB"] = nil
        let outcome = harness.run("doctor", "--model", model, "--kv-memory", "64M")
        let expected = harness.directory.file("home") + "/.local/share/jobs/jobs.db"
        XCTAssertEqual(outcome.code, 0, outcome.output)
        XCTAssertEqual(try DoctorOutput(outcome.output)["database"].text,
                       "\(expected) (default) does not exist yet; 'jobs submit' creates it and its folder")
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.directory.file("home")))

        let elsewhere = harness.directory.file("missing-folder/jobs.db")
        let explicit = harness.run("--db", elsewhere, "doctor", "--model", model, "--kv-memory", "64M")
        XCTAssertEqual(explicit.code, 1)
        let database = try DoctorOutput(explicit.output)["database"]
        XCTAssertEqual(database.status, "FAIL")
        XCTAssertEqual(database.text, "\(elsewhere) (--db) cannot be created: folder \(harness.directory.file("missing-folder")) "
            + "does not exist")
        XCTAssertEqual(database.fix, "create the folder (mkdir -p \(harness.directory.file("missing-folder"))), "
            + "or point --db or JOBS_DB elsewhere")
    }

    func testJSONListsEveryCheckWithItsFix() throws {
        let (harness, _) = try goodSetup()
        let outcome = harness.run("doctor", "--json", "--model", harness.directory.file("none.gguf"), "--kv-memory", "64M")
        XCTAssertEqual(outcome.code, 1)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [String: Any])
        XCTAssertEqual(object["ok"] as? Bool, false)
        let checks = try XCTUnwrap(object["checks"] as? [[String: Any]])
        XCTAssertEqual(checks.map { $0["check"] as? String },
                       ["database", "schema", "journal", "integrity", "references", "cpu", "openblas", "model", "memory", "disk"])
        let model = try XCTUnwrap(checks.first { $0["check"] as? String == "model" })
        XCTAssertEqual(model["status"] as? String, "fail")
        XCTAssertTrue((model["fix"] as? String)?.hasPrefix("check the path given by --model") == true)
        XCTAssertTrue(checks.filter { $0["status"] as? String == "ok" }.allSatisfy { $0["fix"] is NSNull })
        XCTAssertEqual(outcome.errors, "jobs: 1 check failed; each has a fix\n")
    }

    func testKVMemoryMustBeASize() {
        let harness = CLIHarness()
        let outcome = harness.run("doctor", "--kv-memory", "lots")
        XCTAssertEqual(outcome.code, 2)
        XCTAssertTrue(outcome.errors.hasPrefix("jobs doctor: --kv-memory: 'lots' is not a size"), outcome.errors)
    }
}

/// `jobs doctor`'s text read back: one finding per `  STATUS  CHECK  text` line, wrapped lines
/// and the `fix:` lines under it joined up again.
struct DoctorOutput {
    struct Finding: Equatable {
        var status: String
        var check: String
        var text: String
        var fix: String?
    }

    private(set) var findings: [Finding] = []

    init(_ output: String) throws {
        let indent = String(repeating: " ", count: 22)
        var inFix = false
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix(indent + "fix: ") {
                findings[findings.count - 1].fix = String(line.dropFirst(indent.count + 5))
                inFix = true
            } else if line.hasPrefix(indent), !findings.isEmpty {
                let rest = line.trimmingCharacters(in: .whitespaces)
                if inFix {
                    findings[findings.count - 1].fix! += " " + rest
                } else {
                    findings[findings.count - 1].text += " " + rest
                }
            } else if line.hasPrefix("  "), line.count > 22 {
                let characters = Array(line)
                findings.append(Finding(status: String(characters[2..<8]).trimmingCharacters(in: .whitespaces),
                                        check: String(characters[8..<22]).trimmingCharacters(in: .whitespaces),
                                        text: String(characters[22...]), fix: nil))
                inFix = false
            } else if !line.isEmpty, !line.hasPrefix("All checks passed"), !line.hasPrefix("No failures; ") {
                throw DoctorOutputError(line: line)
            }
        }
    }

    subscript(check: String) -> Finding {
        findings.first { $0.check == check } ?? Finding(status: "missing", check: check, text: "", fix: nil)
    }

    struct DoctorOutputError: Error, CustomStringConvertible {
        var line: String
        var description: String { "unexpected line in jobs doctor's output: \(line)" }
    }
}
