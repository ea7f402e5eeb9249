import CommandLineKit
import JobStore

/// `jobs cancel ID | --batch B`
struct CancelCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "cancel",
        summary: "cancel a queued or running job, or every unfinished job of a batch",
        discussion: "A running job's daemon stops working on it at its next heartbeat and writes no result.",
        arguments: [ArgumentSpec(name: "ID", help: "a job number, BATCH/CUSTOM_ID, or a custom id",
                                 isOptional: true)],
        options: [OptionSpec(name: "batch", valueName: "B", help: "cancel every queued or running job of batch B")],
        examples: ["jobs cancel 42", "jobs cancel --batch nightly"])

    var reference: JobReference?
    var batch: String?

    init(_ arguments: ParsedArguments) throws {
        reference = arguments.positional(0).map(JobReference.init(parsing:))
        batch = arguments.value("batch")
    }

    func validate() throws {
        switch (reference, batch) {
        case (nil, nil): throw usageError("give a job ID or --batch B")
        case (_?, _?): throw usageError("give a job ID or --batch B, not both")
        default: break
        }
    }

    func run(_ context: CommandContext) throws {
        let store = try context.openStore()
        let now = context.clock.now()
        if let reference {
            let job = try store.cancel(reference, now: now)
            context.output.line("Cancelled job \(job.id) (\(TextFormat.visible(job.qualifiedName))).")
        } else if let batch {
            let count = try store.cancel(batch: batch, now: now)
            context.output.line(count == 0
                ? "Nothing to cancel: batch \(batch) has no queued or running jobs."
                : "Cancelled \(TextFormat.count(count, "job")) of batch \(batch).")
        }
    }
}
