import JSON
import JobStore

/// Reads a whole JSONL batch file and validates every line before anything is inserted.
///
/// Two line forms are accepted:
/// - OpenAI Batch API: `{"custom_id": "a", "method": "POST", "url": "/v1/completions" or
///   "/v1/chat/completions", "body": {"model": ..., "prompt" or "messages": ..., ...}}`
/// - short form: `{"id": "a", "prompt": "...", "max_tokens": 64, ...}` with the same optional
///   fields as a body (`messages` instead of `prompt` makes it a chat job); `id` may be a string
///   or an integer.
///
/// Blank lines are skipped; line numbers count every line, blank or not, so they match an editor.
public enum BatchFileParser {
    public static let completionsURL = "/v1/completions"
    public static let chatCompletionsURL = "/v1/chat/completions"
    /// Refused with its own message: a Batch file may mix embeddings lines in.
    static let embeddingsURL = "/v1/embeddings"
    public static let responsesURL = "/v1/responses"
    static let envelopeKeys = ["custom_id", "method", "url", "body"]

    /// Parses `bytes` (the file's whole content). Problems are in line order.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ParsedBatchFile {
        var file = ParsedBatchFile()
        var firstLineOfID: [String: Int] = [:]
        var start = 0
        var lineNumber = 0
        // A UTF-8 byte order mark, as some editors write, is not part of the first line.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            let next = end + 1
            if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            start = next
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            file.nonBlankLineCount += 1

            switch parseLine(line) {
            case .failure(let failure):
                file.problems.append(contentsOf: failure.problems.map {
                    LineProblem(line: lineNumber, problem: $0)
                })
            case .success(let job):
                if let first = firstLineOfID[job.customID] {
                    file.problems.append(LineProblem(line: lineNumber, problem: FieldProblem(
                        field: job.idField,
                        message: "duplicate id \(JSONValue.string(job.customID).summary) (first used on line \(first))")))
                    continue
                }
                firstLineOfID[job.customID] = lineNumber
                file.jobs.append(ParsedJob(line: lineNumber, customID: job.customID,
                                           request: job.request))
            }
        }
        return file
    }

    private struct LineJob {
        var customID: String
        var idField: String
        var request: JobRequest
    }

    private static func parseLine(_ line: UnsafeBufferPointer<UInt8>) -> Result<LineJob, LineFailure> {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            return .failure(LineFailure([FieldProblem(field: "", message: "invalid JSON: \(error)")]))
        }
        guard case .object(let members) = value else {
            return .failure(LineFailure([FieldProblem(
                field: "", message: "each line must be a JSON object, got \(value.summary)")]))
        }
        var problems: [FieldProblem] = []
        let isBatchForm = members.contains { envelopeKeys.contains($0.key) }
        let job = isBatchForm ? parseBatchLine(members, problems: &problems)
                              : parseShortLine(members, problems: &problems)
        guard let job, problems.isEmpty else { return .failure(LineFailure(problems)) }
        return .success(job)
    }

    /// `{"custom_id", "method", "url", "body"}`.
    private static func parseBatchLine(_ members: [JSONMember],
                                       problems: inout [FieldProblem]) -> LineJob? {
        let line = JSONValue.object(members)
        for member in members where !envelopeKeys.contains(member.key) {
            let message: String
            if JobRequestParser.requestFields.contains(member.key) {
                message = "belongs inside body in the OpenAI Batch format"
            } else {
                message = JobRequestParser.unknownFieldMessage(member.key, known: envelopeKeys)
            }
            problems.append(FieldProblem(field: member.key, message: message))
        }
        let customID = parseID(line["custom_id"], field: "custom_id", allowInteger: false,
                               problems: &problems)
        switch line["method"] {
        case .string("POST")?: break
        case nil: problems.append(FieldProblem(field: "method", message: "missing; must be \"POST\""))
        case let other?:
            problems.append(FieldProblem(field: "method", message: "must be \"POST\", got \(other.summary)"))
        }
        var kind: JobKind?
        switch line["url"] {
        case .string(completionsURL)?: kind = .completion
        case .string(chatCompletionsURL)?: kind = .chat
        case .string(responsesURL)?: kind = .chat
        case .string(embeddingsURL)?:
            problems.append(FieldProblem(field: "url",
                message: "\(embeddingsURL) is not supported: the models run here generate text and make no embeddings; "
                    + "send embedding lines to a service that makes them"))
        case let other:
            problems.append(FieldProblem(field: "url",
                message: "must be \"\(completionsURL)\", \"\(chatCompletionsURL)\" or \"\(responsesURL)\", got \(other?.summary ?? "nothing")"))
        }
        // The body of a line we refuse by its url would only add noise to the message.
        if line["url"] == .string(embeddingsURL) { return nil }
        guard case .object(let body)? = line["body"] else {
            problems.append(FieldProblem(field: "body",
                message: "must be an object holding the request, got \(line["body"]?.summary ?? "nothing")"))
            return nil
        }
        let request = line["url"] == .string(responsesURL)
            ? ResponsesBodyParser.parse(body, prefix: "body.", problems: &problems)
            : JobRequestParser.parseBody(body, prefix: "body.", skipping: [], expectedKind: kind, problems: &problems)
        guard let customID, let request else { return nil }
        return LineJob(customID: customID, idField: "custom_id", request: request)
    }

    /// `{"id", "prompt" | "messages", ...}`.
    private static func parseShortLine(_ members: [JSONMember],
                                       problems: inout [FieldProblem]) -> LineJob? {
        let id = parseID(JSONValue.object(members)["id"], field: "id", allowInteger: true,
                         problems: &problems)
        let request = JobRequestParser.parseBody(members, prefix: "", skipping: ["id"],
                                                 expectedKind: nil, problems: &problems)
        guard let id, let request else { return nil }
        return LineJob(customID: id, idField: "id", request: request)
    }

    private static func parseID(_ value: JSONValue?, field: String, allowInteger: Bool,
                                problems: inout [FieldProblem]) -> String? {
        switch value {
        case .string(let text)? where !text.isEmpty:
            return text
        case .integer(let number)? where allowInteger:
            return String(number)
        case nil, .null?:
            problems.append(FieldProblem(field: field, message: "missing; every line needs a unique id"))
        case let other?:
            let kind = allowInteger ? "a non-empty string or an integer" : "a non-empty string"
            problems.append(FieldProblem(field: field, message: "must be \(kind), got \(other.summary)"))
        }
        return nil
    }

    private struct LineFailure: Error {
        var problems: [FieldProblem]
        init(_ problems: [FieldProblem]) { self.problems = problems }
    }
}

/// The outcome of reading a batch file: the valid jobs and the problems of the others.
public struct ParsedBatchFile: Sendable {
    public var jobs: [ParsedJob] = []
    public var problems: [LineProblem] = []
    /// Lines that were not blank: valid jobs plus invalid lines.
    public var nonBlankLineCount = 0

    /// Distinct lines with at least one problem.
    public var invalidLineCount: Int { Set(problems.map(\.line)).count }
}

/// One valid line of a batch file.
public struct ParsedJob: Sendable, Equatable {
    /// 1-based line number in the file.
    public var line: Int
    public var customID: String
    public var request: JobRequest

    public init(line: Int, customID: String, request: JobRequest) {
        self.line = line
        self.customID = customID
        self.request = request
    }
}

/// One problem on one line; `formatted(file:)` gives `FILE:LINE: field: problem`.
public struct LineProblem: Sendable, Equatable {
    public var line: Int
    /// The field's path, e.g. `body.max_tokens`; empty when the whole line is wrong.
    public var field: String
    public var message: String

    init(line: Int, problem: FieldProblem) {
        self.line = line
        self.field = problem.field
        self.message = problem.message
    }

    public func formatted(file: String) -> String {
        field.isEmpty ? "\(file):\(line): \(message)" : "\(file):\(line): \(field): \(message)"
    }
}
