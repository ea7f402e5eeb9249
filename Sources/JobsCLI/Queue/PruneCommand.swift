import CommandLineKit
import Foundation
import JobStore

/// `jobs prune --older-than 30d [--state succeeded] [--vacuum]`
struct PruneCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "prune",
        summary: "delete finished jobs (and their results) older than a given age",
        discussion: """
            Deletes jobs that finished more than AGE ago (AGE like 90s, 45m, 12h, 30d, 2w), with
            their results. Batches left without jobs are deleted too, so their files can be
            submitted again. Queued and running jobs are never pruned.
            """,
        options: [
            OptionSpec(name: "older-than", valueName: "AGE", help: "finished more than AGE ago", isRequired: true),
            OptionSpec(name: "state", valueName: "S",
                       help: "only jobs in state S: succeeded, failed or cancelled (repeatable or comma-separated; default all three)",
                       isRepeatable: true),
            OptionSpec(name: "vacuum", help: "then compact the database file to return the space to the disk"),
        ],
        examples: ["jobs prune --older-than 30d", "jobs prune --older-than 7d --state succeeded --vacuum"])

    var age: TimeInterval
    var states: Set<JobState>
    var vacuum: Bool

    init(_ arguments: ParsedArguments) throws {
        let text = arguments.value("older-than") ?? ""
        guard let age = PruneCommand.age(text) else {
            throw CLIError.usage(command: "prune",
                                 message: "--older-than must be a number with a unit s, m, h, d or w (like 30d), got '\(text)'")
        }
        self.age = age
        let names = arguments.values("state").flatMap { $0.split(separator: ",").map(String.init) }
        states = Set(try names.map { try ListCommand.state($0, command: "prune") })
        if states.isEmpty { states = [.succeeded, .failed, .cancelled] }
        vacuum = arguments.flag("vacuum")
    }

    func validate() throws {
        if let unfinished = states.sorted().first(where: { !$0.isFinished }) {
            throw usageError("\(unfinished.rawValue) jobs cannot be pruned; --state takes succeeded, failed or cancelled")
        }
    }

    /// Seconds in `30d`, `12h`, `1.5h`...; nil when malformed or not positive.
    static func age(_ text: String) -> TimeInterval? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        guard let unit = text.last, let scale = units[unit], let number = Double(text.dropLast()),
              number > 0, number.isFinite else { return nil }
        return number * scale
    }

    func run(_ context: CommandContext) throws {
        let store = try context.openStore()
        let cutoff = context.clock.now().addingTimeInterval(-age)
        let outcome = try store.prune(finishedBefore: cutoff, states: states)
        let kinds = states.sorted().map(\.rawValue).joined(separator: ", ")
        var message = "Removed \(TextFormat.count(outcome.jobs, "job")) (\(kinds)) finished before "
            + "\(TextFormat.time(cutoff)), with their results"
        if outcome.batches > 0 { message += ", and \(TextFormat.count(outcome.batches, "empty batch", plural: "empty batches"))" }
        context.output.line(message + ".")
        if vacuum {
            let before = fileSize(store.path)
            try store.vacuum()
            let after = fileSize(store.path)
            context.output.line("Compacted the database: \(megabytes(before)) → \(megabytes(after)).")
        }
    }

    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    private func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }
}
