import CommandLineKit
import Foundation
import JobStore

/// `jobs report [--batch B] -o FILE`
struct ReportCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "report",
        summary: "write an HTML report with throughput, batch size and latency charts",
        discussion: """
            One self-contained HTML file (inline SVG charts, no scripts, no network access) with:
            the summary of 'jobs stats' (counts per state, jobs/min, tokens/s, p50/p95/p99 latencies);
            generated tokens per second over time; active sequences per engine step over time; and
            histograms of queue wait, time to first token and total time. The time series come from
            the engine samples jobsd records about every second; without them, tokens per second are
            estimated from the results. With --batch, the charts cover the batch's time window, and
            the engine samples in it include other batches' jobs that ran at the same time.
            """,
        options: [
            OptionSpec(name: "batch", valueName: "B", help: "only the jobs of batch B"),
            OptionSpec(name: "output", short: "o", valueName: "FILE",
                       help: "write the HTML to FILE (replaced only once complete), or - for standard output",
                       isRequired: true),
        ],
        examples: ["jobs report --batch nightly -o nightly.html", "jobs report -o - | gzip > report.html.gz"])

    var batch: String?
    var outputPath: String

    init(_ arguments: ParsedArguments) throws {
        batch = arguments.value("batch")
        outputPath = arguments.value("output") ?? ""
    }

    func validate() throws {
        if outputPath.isEmpty { throw usageError("-o needs a file name, or - for standard output") }
    }

    func run(_ context: CommandContext) throws {
        let store = try context.openStoreForReading()
        let data = try ReportData.load(from: store, batch: batch, now: context.clock.now())
        let html = HTMLReport.render(data)
        if outputPath == "-" {
            context.output.write(html)
            return
        }
        let file = try ReplacedFile(path: outputPath)
        do {
            file.output.write(html)
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
        let counts = data.stats.counts
        context.errors.line("Wrote \(TextFormat.visibleLine(outputPath)): \(TextFormat.count(counts.total, "job")), "
            + "\(TextFormat.count(data.finished.count, "finished job")), "
            + "\(TextFormat.count(data.samples.count, "engine sample")).")
    }
}
