import CommandLineKit
import JSON
import JobStore

/// `jobs stats [--batch B] [--json]`
struct StatsCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "stats",
        summary: "counts per state, throughput, and latency percentiles",
        discussion: """
            Throughput is measured from the start of the first finished job to the last finish:
            finished jobs per minute, and generated tokens per second. Percentiles (p50, p95, p99)
            cover succeeded jobs: queue wait (submit or retry to the start of the successful
            attempt), time to first token, and total time (submit to finish).
            """,
        options: [
            OptionSpec(name: "batch", valueName: "B", help: "only the jobs of batch B"),
            OptionSpec(name: "json", help: "print one JSON object instead of text"),
        ],
        examples: ["jobs stats --batch nightly", "jobs stats --json"])

    var batch: String?
    var json: Bool

    init(_ arguments: ParsedArguments) throws {
        batch = arguments.value("batch")
        json = arguments.flag("json")
    }

    func run(_ context: CommandContext) throws {
        let stats = try context.openStoreForReading().stats(batch: batch)
        if json {
            context.output.line(jsonValue(stats).serialized())
        } else {
            context.output.write(text(stats))
        }
    }

    private func text(_ stats: QueueStats) -> String {
        let counts = stats.counts
        var text = "\(batch.map { "Batch \($0)" } ?? "All batches"): \(TextFormat.count(counts.total, "job"))\n"
        text += "  " + JobState.allCases.map { "\($0.rawValue) \(TextFormat.count(counts[$0]))" }
            .joined(separator: ", ") + "\n"
        if let perMinute = stats.jobsPerMinute, let tokens = stats.tokensPerSecond, let window = stats.window {
            text += "  throughput: \(TextFormat.rate(perMinute)) jobs/min, \(TextFormat.rate(tokens)) tokens/s "
                + "over \(TextFormat.duration(window)) (\(TextFormat.count(counts.completionTokens, "token")) generated)\n"
        }
        let rows: [(String, Percentiles?)] = [
            ("queue wait", stats.queueWait), ("first token", stats.timeToFirstToken),
            ("total", stats.totalTime),
        ]
        guard rows.contains(where: { $0.1 != nil }) else {
            return text + "  no succeeded jobs yet, so no latency figures\n"
        }
        var table = TextTable(headers: ["  latency", "p50", "p95", "p99"], rightAligned: [1, 2, 3])
        for (name, percentiles) in rows {
            guard let p = percentiles else { continue }
            table.rows.append(["  " + name, TextFormat.duration(p.p50), TextFormat.duration(p.p95),
                               TextFormat.duration(p.p99)])
        }
        return text + table.render()
    }

    private func jsonValue(_ stats: QueueStats) -> JSONValue {
        func percentiles(_ p: Percentiles?) -> JSONValue {
            guard let p else { return .null }
            return .object([JSONMember("p50", .double(p.p50)), JSONMember("p95", .double(p.p95)),
                            JSONMember("p99", .double(p.p99)), JSONMember("count", .integer(Int64(p.count)))])
        }
        func optional(_ value: Double?) -> JSONValue { value.map(JSONValue.double) ?? .null }
        let counts = stats.counts
        return .object([
            JSONMember("batch", batch.map(JSONValue.string) ?? .null),
            JSONMember("counts", .object(JobState.allCases.map { JSONMember($0.rawValue, .integer(Int64(counts[$0]))) }
                                         + [JSONMember("total", .integer(Int64(counts.total)))])),
            JSONMember("completion_tokens", .integer(Int64(counts.completionTokens))),
            JSONMember("window_seconds", optional(stats.window)),
            JSONMember("jobs_per_minute", optional(stats.jobsPerMinute)),
            JSONMember("tokens_per_second", optional(stats.tokensPerSecond)),
            JSONMember("queue_wait_seconds", percentiles(stats.queueWait)),
            JSONMember("time_to_first_token_seconds", percentiles(stats.timeToFirstToken)),
            JSONMember("total_seconds", percentiles(stats.totalTime)),
        ])
    }
}
