import CommandLineKit
import JobStore

/// `jobs wait [--batch B] [--interval SECONDS]`
struct WaitCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "wait",
        summary: "wait until a batch (or the whole queue) is finished, showing progress",
        discussion: """
            On a terminal, a progress bar shows jobs done out of the total, tokens per second and
            an estimate of the time left. Otherwise (a log, a pipe) one plain line is printed every
            --interval seconds. Returns once no job is queued or running.
            """,
        options: [
            OptionSpec(name: "batch", valueName: "B", help: "wait for batch B only"),
            OptionSpec(name: "interval", valueName: "SECONDS",
                       help: "time between checks (default 0.5 on a terminal, 5 otherwise)"),
        ],
        examples: ["jobs submit prompts.jsonl && jobs wait --batch prompts && jobs results --batch prompts -o out.jsonl"])

    var batch: String?
    var interval: Double?

    init(_ arguments: ParsedArguments) throws {
        batch = arguments.value("batch")
        interval = try arguments.seconds("interval")
    }

    func run(_ context: CommandContext) throws {
        let store = try context.openStoreForReading()
        let terminal = context.output.isTerminal
        let interval = self.interval ?? (terminal ? 0.5 : 5)
        let start = context.clock.now()
        var progress = WaitProgress(counts: try store.counts(batch: batch, now: start), at: start)
        if progress.latest.total == 0 {
            context.output.line("Nothing to wait for: \(batch.map { "batch \($0) has" } ?? "there are") no jobs.")
            return
        }
        while !progress.latest.isComplete {
            if terminal {
                // Carriage return and erase-line: redraw the bar in place.
                context.output.write("\r\u{1B}[2K" + progress.bar())
            } else {
                context.output.line(progress.plainLine())
            }
            context.output.flush()
            context.clock.sleep(interval)
            let now = context.clock.now()
            progress.record(try store.counts(batch: batch, now: now), at: now)
        }
        if terminal { context.output.write("\r\u{1B}[2K" + progress.bar() + "\n") }
        context.output.line(progress.summary(batch: batch))
    }
}
