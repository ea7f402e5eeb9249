import CommandLineKit
import Foundation
import JSON
import JobStore
import RequestFormats
import StructuredOutput

/// `jobs show ID`
struct ShowCommand: JobsCommand {
    static let spec = CommandSpec(
        name: "show",
        summary: "show one job: its request, state, result and timings",
        arguments: [ArgumentSpec(name: "ID",
                                 help: "a job number (see jobs list), BATCH/CUSTOM_ID, or a custom id used in one batch only")],
        examples: ["jobs show 42", "jobs show nightly/item-7"])

    var reference: JobReference

    init(_ arguments: ParsedArguments) throws {
        reference = JobReference(parsing: arguments.positionals[0])
    }

    func run(_ context: CommandContext) throws {
        let store = try context.openStoreForReading()
        let job = try store.job(reference)
        let result = try store.result(jobID: job.id)
        let now = context.clock.now()
        var fields: [(String, String)] = []
        func when(_ date: Date?) -> String? {
            date.map { "\(TextFormat.time($0)) (\(TextFormat.duration(now.timeIntervalSince($0))) ago)" }
        }

        var state = job.state.rawValue
        switch job.state {
        case .queued where job.notBefore.map { $0 > now } ?? false:
            state += ", retry not before \(TextFormat.time(job.notBefore!))"
        case .running:
            state += " on \(job.leaseOwner ?? "?"), lease until \(job.leaseExpiresAt.map(TextFormat.time) ?? "?")"
        default:
            break
        }
        fields.append(("State", state))
        fields.append(("Attempts", "\(job.attempts) of \(job.maxAttempts)"))
        fields.append(("Priority", String(job.priority)))
        fields.append(("Submitted", when(job.createdAt)!))
        if job.queuedAt != job.createdAt { fields.append(("Requeued", when(job.queuedAt)!)) }
        if let started = when(job.claimedAt) { fields.append(("Started", started)) }
        if let finished = when(job.finishedAt) { fields.append(("Finished", finished)) }
        let request = try job.decodedRequest()
        fields.append(("Request", requestSummary(request)))
        if let responseFormat = request.responseFormat {
            switch responseFormat.format {
            case .jsonObject:
                fields.append(("Output format", "json_object"))
            case .jsonSchema(let schema):
                let text = schema.serialized()
                let name = responseFormat.name.map { "\($0) " } ?? ""
                fields.append(("Output format", "json_schema \(name)" + (text.count > 200 ? String(text.prefix(200)) + "…" : text)))
            }
        }
        if !request.ignoredFields.isEmpty {
            // Accepted from the file but without effect here (user, metadata, store, ...).
            fields.append(("Ignored", request.ignoredFields.map { member in
                let value = member.value.serialized()
                return member.key + " " + (value.count > 60 ? String(value.prefix(60)) + "…" : value)
            }.joined(separator: ", ")))
        }
        if let error = job.lastError { fields.append((job.state == .failed ? "Error" : "Last error", error)) }
        if !job.state.isFinished, let checkpoint = try store.checkpoint(jobID: job.id) {
            // Where a crashed or stopped daemon's work resumes (token-level resume).
            var saved = "\(checkpoint.tokens) generated tokens saved"
            if let written = checkpoint.writtenAt { saved += " \(when(written)!)" }
            if checkpoint.resumes > 0 { saved += ", resumed \(times(checkpoint.resumes)) so far" }
            fields.append(("Checkpoint", saved))
        }
        if case .succeeded(let output, let queueWait, let total)? = result?.outcome {
            let usage = "\(output.promptTokens) prompt + \(output.completionTokens) completion tokens"
            var summary = "\(output.finishReason.rawValue), \(usage), model \(output.model)"
            if let source = output.reusedFromJobID { summary += ", reused from job \(source)" }
            fields.append(("Result", summary))
            if output.timings.resumes > 0 {
                fields.append(("Resumed", "\(times(output.timings.resumes)) after an interruption; the last attempt "
                               + "continued from token \(output.timings.resumedFromToken) "
                               + "(\(output.timings.recomputedTokens) of those tokens recomputed)"))
            }
            let timings = output.timings
            fields.append(("Timings", [
                "queue wait \(TextFormat.duration(queueWait))",
                "first token \(TextFormat.duration(timings.timeToFirstToken))",
                "prefill \(TextFormat.duration(timings.prefill))",
                "decode \(TextFormat.duration(timings.decode))",
                "total \(TextFormat.duration(total))",
                "\(TextFormat.rate(timings.tokensPerSecond)) tokens/s",
                "mean active sequences \(TextFormat.rate(timings.meanActiveSequences))",
            ].joined(separator: ", ")))
        }

        context.output.line("Job \(job.id): \(TextFormat.visible(job.qualifiedName)) (line \(job.line))")
        let width = fields.map(\.0.count).max()! + 2
        for (name, value) in fields {
            // Errors can quote a request (a schema's field name, a stop string): escaped as all
            // text is, and a value's further lines indented under its first, so no stored text
            // can pass for a field line of its own.
            context.output.line("  " + name + ":" + String(repeating: " ", count: width - name.count - 1)
                                + indented(value, by: width + 2).dropFirst(width + 2))
        }
        context.output.line()
        switch request.input {
        case .prompt(let prompt):
            context.output.line("Prompt:")
            context.output.line(indented(prompt))
        case .messages(let messages):
            context.output.line("Messages:")
            for message in messages {
                context.output.line("  [\(message.role.rawValue)]")
                context.output.line(indented(message.content, by: 4))
            }
        }
        if case .succeeded(let output, _, _)? = result?.outcome {
            context.output.line()
            if output.text.isEmpty {
                context.output.line("Output: (empty)")
            } else {
                context.output.line("Output:")
                context.output.line(indented(output.text))
            }
        }
    }

    private func requestSummary(_ request: JobRequest) -> String {
        var parts = [request.responses == nil ? request.kind.rawValue : "chat (/v1/responses)"]
        if let model = request.model { parts.append("model \(model)") }
        parts.append("max_tokens \(request.maxTokens)")
        parts.append("temperature \(format(request.temperature))")
        if request.topP != 1 { parts.append("top_p \(format(request.topP))") }
        if request.topK != 0 { parts.append("top_k \(request.topK)") }
        if request.minP != 0 { parts.append("min_p \(format(request.minP))") }
        if let seed = request.seed { parts.append("seed \(seed)") }
        if !request.stop.isEmpty {
            parts.append("stop " + request.stop.map { JSONValue.string($0).serialized() }.joined(separator: ", "))
        }
        if request.presencePenalty != 0 { parts.append("presence_penalty \(format(request.presencePenalty))") }
        if request.frequencyPenalty != 0 { parts.append("frequency_penalty \(format(request.frequencyPenalty))") }
        if request.repetitionPenalty != 1 { parts.append("repetition_penalty \(format(request.repetitionPenalty))") }
        if request.choices > 1 { parts.append("n \(request.choices)") }
        if let logprobs = request.logprobs { parts.append("logprobs with \(logprobs) alternatives") }
        return parts.joined(separator: ", ")
    }

    private func times(_ count: Int) -> String { count == 1 ? "once" : "\(count) times" }

    private func format(_ value: Double) -> String { JSONValue.double(value).serialized() }

    /// `text` with each line indented, control characters escaped (`TextFormat.visible`).
    private func indented(_ text: String, by spaces: Int = 2) -> String {
        let pad = String(repeating: " ", count: spaces)
        return TextFormat.visible(text).split(separator: "\n", omittingEmptySubsequences: false)
            .map { pad + $0 }.joined(separator: "\n")
    }
}
