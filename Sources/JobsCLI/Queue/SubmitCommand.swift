import CommandLineKit
import JSON
import JobStore
import RequestFormats

/// `jobs submit FILE.jsonl|- [--batch NAME] [--priority N] [--max-attempts N] [--skip-invalid]`
struct SubmitCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "submit",
        summary: "queue the prompts of a JSONL file as one batch",
        discussion: """
            Each line is an OpenAI Batch API request
              {"custom_id": "a", "method": "POST", "url": "/v1/completions", "body": {"prompt": "...", "max_tokens": 64}}
            (url "/v1/chat/completions" with "messages" for chats), or the short form
              {"id": "a", "prompt": "...", "max_tokens": 64}
            Optional fields: model, max_tokens (default 256), temperature (default 1), top_p,
            top_k, min_p, seed, stop, presence_penalty, frequency_penalty, repetition_penalty.

            The whole file is checked first. Every bad line is reported as FILE:LINE: field: problem,
            and nothing is queued unless --skip-invalid is given. Ids must be unique in the file.
            Submitting a file whose content was submitted before queues nothing, unless --batch
            gives it a new name (so running the same command twice queues once).
            """,
        arguments: [ArgumentSpec(name: "FILE", help: "the JSONL file, or - for standard input")],
        options: [
            OptionSpec(name: "batch", valueName: "NAME",
                       help: "name of the batch (default: the file name without extension)"),
            OptionSpec(name: "priority", valueName: "N",
                       help: "higher runs first (default 0; -1000000 to 1000000)"),
            OptionSpec(name: "max-attempts", valueName: "N",
                       help: "tries per job before it fails for good (default \(BatchSubmission.defaultMaxAttempts))"),
            OptionSpec(name: "skip-invalid", help: "queue the valid lines even when others are bad"),
        ],
        examples: [
            "jobs submit prompts.jsonl --priority 5",
            "generate-prompts | jobs submit - --batch nightly-2026-11-26",
        ])

    var file: String
    var batch: String?
    var priority: Int
    var maxAttempts: Int
    var skipInvalid: Bool

    init(_ arguments: ParsedArguments) throws {
        file = arguments.positionals[0]
        batch = arguments.value("batch")
        priority = try arguments.integer("priority", in: -1_000_000...1_000_000) ?? 0
        maxAttempts = try arguments.integer("max-attempts", in: 1...100) ?? BatchSubmission.defaultMaxAttempts
        skipInvalid = arguments.flag("skip-invalid")
    }

    func validate() throws {
        if file.isEmpty { throw usageError("FILE is empty; give a path, or - for standard input") }
        // Before the file is read: a bad name would otherwise be reported after every line's problems.
        if let batch, !BatchName.isValid(batch) { throw CLIError.user("\(JobStoreError.invalidBatchName(name: batch))") }
    }

    func run(_ context: CommandContext) throws {
        // Shown in messages, escaped: a file name may hold control characters too.
        let displayName = file == "-" ? "stdin" : TextFormat.visibleLine(file)
        let bytes = file == "-" ? try context.console.readInput() : try FileReader.read(path: file)
        let digest = bytes.withUnsafeBufferPointer { BatchSubmission.digest(of: $0) }
        let store = try context.openStore(create: true)
        if let existing = try store.earlierSubmission(sha256: digest, name: batch) {
            context.output.line(alreadySubmitted(existing, displayName))
            return
        }
        let sameContent = try store.batch(sha256: digest)

        let parsed = bytes.withUnsafeBufferPointer { BatchFileParser.parse($0) }
        // A problem quotes the file (a field's name, a value): shown, not run by the terminal.
        for problem in parsed.problems {
            context.errors.line(TextFormat.visibleLine(problem.formatted(file: displayName)))
        }
        guard parsed.nonBlankLineCount > 0 else {
            throw CLIError.user("\(displayName) has no jobs (\(bytes.isEmpty ? "it is empty" : "only blank lines"))")
        }
        let invalid = parsed.invalidLineCount
        if invalid > 0, !skipInvalid {
            throw CLIError.user("\(TextFormat.count(invalid, "line")) of \(TextFormat.count(parsed.nonBlankLineCount)) "
                + "\(invalid == 1 ? "is" : "are") invalid; nothing was submitted. Fix \(invalid == 1 ? "it" : "them")"
                + (parsed.jobs.isEmpty ? "" : ", or use --skip-invalid to submit the \(TextFormat.count(parsed.jobs.count, "valid line"))"))
        }
        guard !parsed.jobs.isEmpty else {
            throw CLIError.user("no valid lines in \(displayName); nothing was submitted")
        }
        let outcome = try store.submit(BatchSubmission(
            name: batch, source: file, sha256: digest, priority: priority, maxAttempts: maxAttempts,
            jobs: parsed.jobs, skippedLineCount: invalid))
        switch outcome {
        case .alreadySubmitted(let existing):
            context.output.line(alreadySubmitted(existing, displayName))
        case .inserted(let info):
            var message = "Submitted \(TextFormat.count(info.jobCount, "job")) as batch \(info.name)"
            if priority != 0 { message += " (priority \(priority))" }
            if invalid > 0 { message += "; skipped \(TextFormat.count(invalid, "invalid line"))" }
            if let sameContent {
                message += " (the same content as batch \(sameContent.name) of \(TextFormat.time(sameContent.createdAt)))"
            }
            context.output.line(message + ".")
            if let note = modelNote(parsed.jobs, displayName) { context.errors.line(note) }
            // Names are case-sensitive; `Nightly-1` beside `nightly-1` is more often a typo than a wish.
            // Named oldest first, in the order they were created.
            let twins = Array(try store.batchNames(differingOnlyInCaseFrom: info.name).reversed())
            if !twins.isEmpty {
                context.errors.line("note: batch \(info.name) is new, though \(twins.count == 1 ? "a batch" : "batches") named "
                    + "\(twins.joined(separator: " and ")) exist\(twins.count == 1 ? "s" : ""): batch names are case-sensitive")
            }
            context.output.line("Follow it with: jobs wait --batch \(info.name)")
        }
    }

    /// OpenAI files name a model on every line; nothing here picks one by it, so say so once.
    /// Names are quoted as JSON strings (untrusted: no raw control characters, a blank name
    /// shows) and cut at 40 characters.
    private func modelNote(_ jobs: [ParsedJob], _ displayName: String) -> String? {
        let models = Set(jobs.compactMap(\.request.model)).sorted()
        guard !models.isEmpty else { return nil }
        let shown = models.prefix(3).map { name in
            TextFormat.visible(JSONValue.string(name.count > 40 ? String(name.prefix(39)) + "…" : name).serialized())
        }
        let more = models.count > 3 ? " and \(models.count - 3) more" : ""
        return "note: \(displayName) names \(models.count == 1 ? "model" : "models") \(shown.joined(separator: ", "))\(more); "
            + "jobsd runs the model it was started with, and each result records which"
    }

    private func alreadySubmitted(_ batch: BatchInfo, _ displayName: String) -> String {
        "\(displayName) was already submitted as batch \(batch.name) on \(TextFormat.time(batch.createdAt)) "
            + "(\(TextFormat.count(batch.jobCount, "job"))); nothing was queued."
    }
}
