import CommandLineKit
import Engine
import Foundation
import KVCache
import JSON
import JobStore
import Kernels
import Model

/// `jobs doctor [--model PATH] [--kv-memory SIZE] [--max-batch-tokens N] [--max-seqs N] [--json]`
struct DoctorCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "doctor",
        summary: "check the database, model, CPU, OpenBLAS, memory and disk; say how to fix problems",
        discussion: """
            Each check prints ok, warn or FAIL with what it found, and for warn and FAIL a line saying
            how to fix it. The database is checked for where it is (or will be created), whether it can
            be written, its schema version against this jobs, WAL mode and SQLite's quick_check; the
            model for loading as jobsd loads it, its parameters, context, weight and KV cache memory,
            and its chat format; then the CPU's instructions, OpenBLAS's kernels and threads, free
            memory against weights, KV cache and working memory (which --max-batch-tokens and
            --max-seqs size), and free disk beside the database. Nothing is created or changed. Exits
            1 when any check fails.
            """,
        options: [
            OptionSpec(name: "model", valueName: "PATH",
                       help: "the model to check (default: $JOBS_MODEL, else the default model's install location)"),
            OptionSpec(name: "kv-memory", valueName: "SIZE",
                       help: "KV cache memory the daemon will use, for the memory check: 4G, 512M (default 2G)"),
            OptionSpec(name: "max-batch-tokens", valueName: "N",
                       help: "jobsd's --max-batch-tokens, which sizes its activation memory (default 512)"),
            OptionSpec(name: "max-seqs", valueName: "N",
                       help: "jobsd's --max-seqs, which sizes its logit memory (default 64)"),
            KVTypeOption.option,
            OptionSpec(name: "json", help: "print one JSON object instead of text"),
        ],
        examples: ["jobs doctor", "jobs --db /var/lib/jobs/jobs.db doctor --model /srv/models/qwen2.5-1.5b-q4_k_m.gguf"])

    /// The daemon's default KV cache memory.
    static let defaultKVMemory = 2 << 30

    var modelPath: String?
    var kvMemory: Int
    var json: Bool
    var kvPrecision: KVPrecision
    var maxBatchTokens: Int
    var maxSequences: Int

    init(_ arguments: ParsedArguments) throws {
        modelPath = arguments.value("model")
        json = arguments.flag("json")
        kvPrecision = try KVTypeOption.parse(arguments, command: DoctorCommand.spec.name)
        // The ranges jobsd accepts.
        maxBatchTokens = try arguments.integer("max-batch-tokens", in: 1...1_048_576) ?? EngineOptions().maxBatchTokens
        maxSequences = try arguments.integer("max-seqs", in: 1...4096) ?? EngineOptions().maxSequences
        if let text = arguments.value("kv-memory") {
            do {
                kvMemory = try ByteCount.parse(text)
            } catch {
                throw CLIError.usage(command: DoctorCommand.spec.name, message: "--kv-memory: \(error)")
            }
        } else {
            kvMemory = DoctorCommand.defaultKVMemory
        }
    }

    func validate() throws {
        if modelPath?.isEmpty == true { throw usageError("--model needs a path") }
    }

    func run(_ context: CommandContext) throws {
        let findings = check(context)
        if json {
            context.output.line(jsonValue(findings).serialized())
        } else {
            context.output.write(text(findings))
        }
        let failures = findings.filter { $0.status == .fail }.count
        if failures > 0 {
            throw CLIError.user("\(TextFormat.count(failures, "check")) failed; \(json ? "each has a fix" : "the fix lines above say what to do")")
        }
    }

    private func check(_ context: CommandContext) -> [DoctorFinding] {
        let environment = context.environment
        func source(option: String?, optionName: String, variable: String) -> String {
            if option != nil { return optionName }
            return environment[variable]?.isEmpty == false ? variable : "default"
        }
        var findings: [DoctorFinding] = []
        var databaseFolder = "."
        var databaseBytes = 0
        do {
            let location = try DatabaseLocation.resolve(option: context.databaseOption, environment: environment)
            let database = DatabaseChecks.run(path: location.path, isDefault: location.isDefault,
                                              source: source(option: context.databaseOption, optionName: "--db", variable: "JOBS_DB"))
            findings += database.findings
            databaseFolder = DatabaseChecks.folder(of: location.path)
            databaseBytes = database.databaseBytes
        } catch {
            findings.append(.fail("database", "no database location: \(error)", fix: "give --db PATH or set JOBS_DB"))
        }

        // Read before the model check loads the weights into this process, which would
        // otherwise count them twice.
        let available = AvailableMemory.now()
        let cpu = SystemChecks.cpu(capabilities: .current, forced: environment[KernelLevel.environmentKey])
        findings.append(cpu)
        findings.append(SystemChecks.openBLAS(.current(), capabilities: .current))
        let model = ModelChecks.run(path: modelPath ?? DefaultModel.path(environment: environment),
                                    source: source(option: modelPath, optionName: "--model", variable: "JOBS_MODEL"),
                                    canRunKernels: cpu.status != .fail, kvMemory: kvMemory,
                                    kvPrecision: kvPrecision, maxBatchTokens: maxBatchTokens, maxSequences: maxSequences)
        findings += model.findings
        findings.append(SystemChecks.memory(available: available, weights: model.weightBytes, kvMemory: kvMemory,
                                            workingMemory: model.workingMemory))
        findings.append(SystemChecks.disk(folder: databaseFolder, databaseBytes: databaseBytes))
        return findings
    }

    /// Width of the check-name column: the longest name ("model memory") and two spaces.
    static let nameWidth = 14

    /// One finding per line, wrapped at 100 columns, fixes indented under their finding.
    private func text(_ findings: [DoctorFinding]) -> String {
        let nameWidth = DoctorCommand.nameWidth
        let indent = String(repeating: " ", count: 2 + 6 + nameWidth)
        let width = 100 - indent.count
        var text = ""
        for finding in findings {
            // Findings quote paths and file contents (a model's metadata): shown, not run.
            let lines = HelpTable.wrap(TextFormat.visibleLine(finding.finding), width: width)
            let status = finding.status.label.padding(toLength: 6, withPad: " ", startingAt: 0)
            text += "  " + status + finding.check.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                + lines.joined(separator: "\n" + indent) + "\n"
            if let fix = finding.fix {
                text += indent + HelpTable.wrap("fix: " + TextFormat.visibleLine(fix), width: width).joined(separator: "\n" + indent + "     ") + "\n"
            }
        }
        let failures = findings.filter { $0.status == .fail }.count
        let warnings = findings.filter { $0.status == .warn }.count
        if failures == 0 {
            text += "\n" + (warnings == 0 ? "All checks passed.\n" : "No failures; \(TextFormat.count(warnings, "warning")).\n")
        }
        return text
    }

    private func jsonValue(_ findings: [DoctorFinding]) -> JSONValue {
        .object([
            JSONMember("ok", .bool(!findings.contains { $0.status == .fail })),
            JSONMember("checks", .array(findings.map { finding in
                .object([JSONMember("check", .string(finding.check)), JSONMember("status", .string(finding.status.rawValue)),
                         JSONMember("finding", .string(finding.finding)),
                         JSONMember("fix", finding.fix.map(JSONValue.string) ?? .null)])
            })),
        ])
    }
}
