import Glibc
import JobStore

/// `jobs results [--batch B] [-o FILE]`
struct ResultsCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "results",
        summary: "write the results of finished jobs as OpenAI Batch output lines",
        discussion: """
            One JSON line per finished job, in job order, as in OpenAI Batch output files:
            {"id", "custom_id", "response": {"status_code": 200, "request_id", "body": {...}}, "error": null}
            Failed and cancelled jobs have "response": null and "error": {"code", "message"}.
            Our measurements are under "\(BatchOutputFormat.timingsKey)" (seconds). Jobs still queued or
            running are left out. The output is streamed, so any number of results fits.
            """,
        options: [
            OptionSpec(name: "batch", valueName: "B", help: "only the jobs of batch B"),
            OptionSpec(name: "output", short: "o", valueName: "FILE",
                       help: "write to FILE (replaced only once complete) instead of standard output"),
        ],
        examples: ["jobs results --batch nightly -o nightly-results.jsonl"])

    var batch: String?
    var outputPath: String?

    init(_ arguments: ParsedArguments) throws {
        batch = arguments.value("batch")
        outputPath = arguments.value("output")
    }

    func validate() throws {
        if outputPath?.isEmpty == true { throw usageError("-o needs a file name") }
    }

    func run(_ context: CommandContext) throws {
        let store = try context.openStoreForReading()
        let counts = try store.counts(batch: batch)
        var written = JobCounts()
        if let outputPath {
            // Written beside the target and renamed at the end: a failure never leaves a
            // half-written file under the final name.
            let partial = outputPath + ".partial"
            let descriptor = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
            guard descriptor >= 0 else {
                throw CLIError.user("cannot write \(partial): \(String(cString: strerror(errno)))")
            }
            let file = FileDescriptorOutput(descriptor: descriptor, closesDescriptor: true)
            do {
                written = try stream(store, to: file)
                try file.flushReportingErrors()
                guard fsync(descriptor) == 0 else {
                    throw CLIError.user("cannot write \(partial): \(String(cString: strerror(errno)))")
                }
            } catch {
                unlink(partial)
                throw error
            }
            guard rename(partial, outputPath) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(partial)
                throw CLIError.user("cannot replace \(outputPath): \(reason)")
            }
            context.errors.line("Wrote \(TextFormat.count(written.finished, "result")) "
                + "(\(TextFormat.count(written.succeeded)) succeeded, \(TextFormat.count(written.failed)) failed, "
                + "\(TextFormat.count(written.cancelled)) cancelled) to \(outputPath).")
        } else {
            written = try stream(store, to: context.output)
        }
        let unfinished = counts.queued + counts.running
        if unfinished > 0 {
            context.errors.line("Note: \(TextFormat.count(unfinished, "job")) \(batch.map { "of batch \($0) " } ?? "")"
                + "\(unfinished == 1 ? "is" : "are") not finished and not in the output; 'jobs wait' waits for them.")
        }
    }

    /// Writes every finished job's line; returns how many of each state were written.
    private func stream(_ store: JobStore, to output: TextOutput) throws -> JobCounts {
        var written = JobCounts()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        try store.resultsStream(batch: batch) { record in
            BatchOutputFormat.appendLine(for: record, to: &buffer)
            written[record.state] += 1
            if buffer.count >= 1 << 16 {
                output.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        output.write(buffer)
        return written
    }
}
