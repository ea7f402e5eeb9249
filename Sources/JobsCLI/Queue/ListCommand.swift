import CommandLineKit
import Foundation
import JobStore

/// `jobs list [--state S] [--batch B] [--limit N]`
struct ListCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "list",
        summary: "list the newest jobs (--limit of them), oldest first",
        options: [
            OptionSpec(name: "state", valueName: "S",
                       help: "only jobs in this state: \(JobState.allCases.map(\.rawValue).joined(separator: ", "))"),
            OptionSpec(name: "batch", valueName: "B", help: "only jobs of this batch"),
            OptionSpec(name: "limit", valueName: "N", help: "show at most N jobs (default 50)"),
        ],
        examples: ["jobs list --state failed --batch nightly"])

    var state: JobState?
    var batch: String?
    var limit: Int

    init(_ arguments: ParsedArguments) throws {
        state = try arguments.value("state").map { try ListCommand.state($0, command: "list") }
        batch = arguments.value("batch")
        limit = try arguments.integer("limit", in: 1...1_000_000) ?? 50
    }

    static func state(_ text: String, command: String) throws -> JobState {
        guard let state = JobState(rawValue: text.lowercased()) else {
            throw CLIError.usage(command: command,
                message: "unknown state '\(text)'; use one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return state
    }

    func run(_ context: CommandContext) throws {
        let store = try context.openStoreForReading()
        let list = try store.list(state: state, batch: batch, limit: limit)
        guard !list.jobs.isEmpty else {
            context.output.line("No jobs\(filterDescription).")
            return
        }
        let now = context.clock.now()
        var table = TextTable(headers: ["ID", "JOB", "STATE", "PRI", "TRIES", "AGE", "NOTE"],
                              rightAligned: [0, 3])
        for job in list.jobs {
            table.rows.append([
                String(job.id), TextFormat.visible(job.qualifiedName), job.state.rawValue, String(job.priority),
                "\(job.attempts)/\(job.maxAttempts)",
                TextFormat.age(now.timeIntervalSince(job.createdAt)), note(job, now: now),
            ])
        }
        context.output.write(table.render())
        if list.totalMatching > list.jobs.count {
            context.output.line("Showing the newest \(TextFormat.count(list.jobs.count)) of "
                + "\(TextFormat.count(list.totalMatching, "job"))\(filterDescription); use --limit to see more.")
        }
    }

    private var filterDescription: String {
        var parts: [String] = []
        if let state { parts.append(state.rawValue) }
        if let batch { parts.append("in batch \(batch)") }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }

    private func note(_ job: JobRecord, now: Date) -> String {
        switch job.state {
        case .queued:
            if let notBefore = job.notBefore, notBefore > now {
                return "retry in \(TextFormat.duration(notBefore.timeIntervalSince(now)))"
            }
            return job.lastError.map { "last error: " + TextFormat.snippet(TextFormat.visible($0), limit: 50) } ?? ""
        case .running:
            return job.leaseOwner.map { "on \($0)" } ?? ""
        case .failed, .cancelled:
            return job.lastError.map { TextFormat.snippet(TextFormat.visible($0), limit: 60) } ?? ""
        case .succeeded:
            return ""
        }
    }
}
