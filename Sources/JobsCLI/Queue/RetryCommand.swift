import CommandLineKit
import JobStore

/// `jobs retry ID | --failed [--batch B]`
struct RetryCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "retry",
        summary: "queue a failed or cancelled job again, or every failed job",
        discussion: "Retried jobs start over with a fresh count of attempts.",
        arguments: [ArgumentSpec(name: "ID", help: "a job number, BATCH/CUSTOM_ID, or a custom id",
                                 isOptional: true)],
        options: [
            OptionSpec(name: "failed", help: "retry every failed job"),
            OptionSpec(name: "batch", valueName: "B", help: "with --failed: only the failed jobs of batch B"),
        ],
        examples: ["jobs retry 42", "jobs retry --failed --batch nightly"])

    var reference: JobReference?
    var allFailed: Bool
    var batch: String?

    init(_ arguments: ParsedArguments) throws {
        reference = arguments.positional(0).map(JobReference.init(parsing:))
        allFailed = arguments.flag("failed")
        batch = arguments.value("batch")
    }

    func validate() throws {
        if batch != nil, !allFailed { throw usageError("--batch goes with --failed") }
        if reference == nil, !allFailed { throw usageError("give a job ID or --failed") }
        if reference != nil, allFailed { throw usageError("give a job ID or --failed, not both") }
    }

    func run(_ context: CommandContext) throws {
        let store = try context.openStore()
        let now = context.clock.now()
        if let reference {
            let job = try store.retry(reference, now: now)
            context.output.line("Queued job \(job.id) (\(TextFormat.visible(job.qualifiedName))) again.")
            return
        }
        let count = try store.retryFailed(batch: batch, now: now)
        let scope = batch.map { " in batch \($0)" } ?? ""
        context.output.line(count == 0 ? "Nothing to retry: no failed jobs\(scope)."
                                       : "Queued \(TextFormat.count(count, "failed job"))\(scope) again.")
    }
}
