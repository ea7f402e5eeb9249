import CommandLineKit
import Glibc
import JobStore
import RequestFormats

/// `jobs results [--batch B] [-o FILE] [--errors FILE]`
struct ResultsCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "results",
        summary: "write the results of finished jobs as OpenAI Batch output lines",
        discussion: """
            One JSON line per finished job, in job order, as in OpenAI Batch output files:
            {"id", "custom_id", "response": {"status_code": 200, "request_id", "body": {...}}, "error": null}
            Failed and cancelled jobs have "response": null and "error": {"code", "message"}.
            With --errors FILE they go to FILE instead, as the Batch API writes its output file and
            its error file apart; without it every finished job is in the one output.
            Our measurements are under "\(BatchOutputFormat.timingsKey)" (seconds). Jobs still queued or
            running are left out. The output is streamed, so any number of results fits.
            """,
        options: [
            OptionSpec(name: "batch", valueName: "B", help: "only the jobs of batch B"),
            OptionSpec(name: "output", short: "o", valueName: "FILE",
                       help: "write to FILE (replaced only once complete) instead of standard output (- is standard output)"),
            OptionSpec(name: "errors", valueName: "FILE",
                       help: "write failed and cancelled jobs to FILE (the Batch API's error file), the others to the output"),
        ],
        examples: ["jobs results --batch nightly -o nightly-results.jsonl",
                   "jobs results --batch nightly -o nightly-results.jsonl --errors nightly-errors.jsonl"])

    var batch: String?
    var outputPath: String?
    var errorsPath: String?

    init(_ arguments: ParsedArguments) throws {
        batch = arguments.value("batch")
        // "-" is standard output, as for `jobs report -o -` (and the default).
        outputPath = arguments.value("output").flatMap { $0 == "-" ? nil : $0 }
        errorsPath = arguments.value("errors")
    }

    func validate() throws {
        if outputPath?.isEmpty == true { throw usageError("-o needs a file name") }
        if errorsPath?.isEmpty == true { throw usageError("--errors needs a file name") }
        if let errorsPath, errorsPath == outputPath { throw usageError("--errors and -o must name different files") }
    }

    func run(_ context: CommandContext) throws {
        let store = try context.openStoreForReading()
        let counts = try store.counts(batch: batch)
        let output = try outputPath.map(ReplacedFile.init(path:))
        let errors: ReplacedFile?
        do {
            errors = try errorsPath.map(ReplacedFile.init(path:))
        } catch {
            output?.abandon()
            throw error
        }
        let written: JobCounts
        do {
            written = try stream(store, to: output?.output ?? context.output, errors: errors?.output)
            try output?.commit()
            try errors?.commit()
        } catch {
            output?.abandon()
            errors?.abandon()
            throw error
        }
        if let outputPath {
            let succeededOnly = errors != nil
            context.errors.line("Wrote \(TextFormat.count(succeededOnly ? written.succeeded : written.finished, "result")) "
                + (succeededOnly ? "" : "(\(TextFormat.count(written.succeeded)) succeeded, \(TextFormat.count(written.failed)) failed, "
                    + "\(TextFormat.count(written.cancelled)) cancelled) ")
                + "to \(TextFormat.visibleLine(outputPath)).")
        }
        if let errorsPath {
            context.errors.line("Wrote \(TextFormat.count(written.failed + written.cancelled, "error")) "
                + "(\(TextFormat.count(written.failed)) failed, \(TextFormat.count(written.cancelled)) cancelled) to \(TextFormat.visibleLine(errorsPath)).")
        }
        let unfinished = counts.queued + counts.running
        if unfinished > 0 {
            context.errors.line("Note: \(TextFormat.count(unfinished, "job")) \(batch.map { "of batch \($0) " } ?? "")"
                + "\(unfinished == 1 ? "is" : "are") not finished and not in the output; 'jobs wait' waits for them.")
        }
    }

    /// Writes every finished job's line (unsuccessful ones to `errors` when given); returns how
    /// many of each state were written.
    private func stream(_ store: JobStore, to output: TextOutput, errors: TextOutput?) throws -> JobCounts {
        var written = JobCounts()
        var buffer: [UInt8] = []
        var errorBuffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        try store.resultsStream(batch: batch) { record in
            if let errors, record.state != .succeeded {
                BatchOutputFormat.appendLine(for: record, to: &errorBuffer)
                if errorBuffer.count >= 1 << 16 {
                    errors.write(errorBuffer)
                    errorBuffer.removeAll(keepingCapacity: true)
                }
            } else {
                BatchOutputFormat.appendLine(for: record, to: &buffer)
                if buffer.count >= 1 << 16 {
                    output.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            written[record.state] += 1
        }
        output.write(buffer)
        errors?.write(errorBuffer)
        return written
    }
}
