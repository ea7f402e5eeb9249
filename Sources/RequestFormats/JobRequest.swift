import JSON
import JobStore

/// What one job asks the model for: a prompt (text completion) or a conversation (chat), the
/// number of tokens to generate, and the sampling parameters. Absent fields take the documented
/// defaults below, so two requests that mean the same thing are equal and hash the same.
///
/// Stored in the `jobs.request` column as `canonicalJSON`; `hash` (SHA-256 of that text) is what
/// the engine's opt-in result reuse matches on.
public struct JobRequest: Equatable, Sendable {
    public enum Input: Equatable, Sendable {
        case prompt(String)
        case messages([RequestMessage])
    }

    public static let defaultMaxTokens = 256
    public static let defaultTemperature = 1.0
    public static let maximumStopSequences = 4

    /// The model the file asked for; informational (the daemon runs the model it was started
    /// with, and reports that one in results).
    public var model: String?
    public var input: Input
    /// Tokens to generate at most (> 0). Default 256.
    public var maxTokens: Int
    /// 0 = greedy, up to 2. Default 1.
    public var temperature: Double
    /// Nucleus sampling mass in (0, 1]. Default 1 (off).
    public var topP: Double
    /// Keep only the k most likely tokens; 0 = off (default).
    public var topK: Int
    /// Drop tokens less likely than min_p × the top token's probability, in [0, 1]; 0 = off.
    public var minP: Double
    /// Fixes the sampler's random stream; nil = a fresh stream per job.
    public var seed: Int64?
    /// Up to four non-empty strings; generation stops before the first one produced.
    public var stop: [String]
    /// OpenAI-style penalties in [-2, 2]; default 0.
    public var presencePenalty: Double
    public var frequencyPenalty: Double
    /// llama.cpp-style multiplicative penalty (> 0); 1 = off (default).
    public var repetitionPenalty: Double
    /// Fields the file gave that were accepted but change nothing here (`user`, `metadata`,
    /// `store`, `messages[0].name`, ...), as written, keyed by their path inside the body. Stored
    /// with the job for `jobs show`; not part of `hash`, since they do not change the answer.
    public var ignoredFields: [JSONMember] = []
    /// Record each generated token's log-probability and this many alternatives: chat's
    /// `logprobs: true` with `top_logprobs` (0–20), completions' `logprobs` (0–5). nil: none.
    public var logprobs: Int?
    /// Answers to generate from the one prompt (OpenAI's `n`), 1 to `maximumChoices`.
    public var choices = 1
    public static let maximumChoices = 16
    /// Set for a `/v1/responses` line: its result is written in the Responses shape. Such a job
    /// is a chat job (`input` and `instructions` became `messages`); not part of `hash`.
    public var responses: ResponsesRequest?
    /// Structured output (`response_format`, or a Responses line's `text.format`): the output
    /// must be one JSON object or follow a JSON schema. nil: free text. Part of `hash`.
    public var responseFormat: ResponseFormat?

    public init(model: String? = nil, input: Input, maxTokens: Int = JobRequest.defaultMaxTokens,
                temperature: Double = JobRequest.defaultTemperature, topP: Double = 1,
                topK: Int = 0, minP: Double = 0, seed: Int64? = nil, stop: [String] = [],
                presencePenalty: Double = 0, frequencyPenalty: Double = 0,
                repetitionPenalty: Double = 1) {
        self.model = model
        self.input = input
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.seed = seed
        self.stop = stop
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.repetitionPenalty = repetitionPenalty
    }

    public var kind: JobKind {
        switch input {
        case .prompt: return .completion
        case .messages: return .chat
        }
    }

    /// Every field, defaults included, in a fixed order: the stored form of the request.
    public var canonicalJSON: String { canonicalValue.serialized() }

    /// SHA-256 (hex) of `canonicalJSON` without the ignored fields: equal for requests that
    /// would sample identically.
    public var hash: String { SHA256.hex(generationValue.serialized()) }

    /// The key under which `canonicalJSON` keeps `ignoredFields`.
    static let ignoredFieldsKey = "ignored_fields"

    /// The key under which `canonicalJSON` keeps `responses`.
    static let responsesKey = ResultRecord.responsesMember

    var canonicalValue: JSONValue {
        guard case .object(var members) = generationValue else { return generationValue }
        if !ignoredFields.isEmpty { members.append(JSONMember(Self.ignoredFieldsKey, .object(ignoredFields))) }
        if let responses { members.append(JSONMember(Self.responsesKey, responses.canonicalValue)) }
        return .object(members)
    }

    /// Every field that shapes the answer, defaults included, in a fixed order.
    private var generationValue: JSONValue {
        var members: [JSONMember] = []
        if let model { members.append(JSONMember("model", .string(model))) }
        switch input {
        case .prompt(let prompt):
            members.append(JSONMember("prompt", .string(prompt)))
        case .messages(let messages):
            members.append(JSONMember("messages", .array(messages.map { message in
                .object([JSONMember("role", .string(message.role.rawValue)),
                         JSONMember("content", .string(message.content))])
            })))
        }
        members.append(JSONMember("max_tokens", .int(maxTokens)))
        members.append(JSONMember("temperature", .double(temperature)))
        members.append(JSONMember("top_p", .double(topP)))
        members.append(JSONMember("top_k", .int(topK)))
        members.append(JSONMember("min_p", .double(minP)))
        if let seed { members.append(JSONMember("seed", .integer(seed))) }
        members.append(JSONMember("stop", .array(stop.map(JSONValue.string))))
        members.append(JSONMember("presence_penalty", .double(presencePenalty)))
        members.append(JSONMember("frequency_penalty", .double(frequencyPenalty)))
        members.append(JSONMember("repetition_penalty", .double(repetitionPenalty)))
        if choices > 1 { members.append(JSONMember("n", .int(choices))) }
        if let responseFormat { members.append(JSONMember("response_format", responseFormat.canonicalValue)) }
        if let logprobs {
            switch kind {
            case .chat:
                members.append(JSONMember("logprobs", .bool(true)))
                members.append(JSONMember("top_logprobs", .int(logprobs)))
            case .completion:
                members.append(JSONMember("logprobs", .int(logprobs)))
            }
        }
        return .object(members)
    }

    /// Reads back the stored form. Only fails when the database was edited by hand.
    public init(canonicalJSON text: String) throws {
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(text)
        } catch {
            throw JobStoreError.corruptRequest(problem: "invalid JSON: \(error)")
        }
        guard case .object(let members) = parsed else {
            throw JobStoreError.corruptRequest(problem: "not a JSON object")
        }
        var problems: [FieldProblem] = []
        let request = JobRequestParser.parseBody(members, prefix: "", skipping: [Self.ignoredFieldsKey, Self.responsesKey],
                                                 expectedKind: nil, problems: &problems)
        guard var request, problems.isEmpty else {
            throw JobStoreError.corruptRequest(
                problem: problems.map(\.description).joined(separator: "; "))
        }
        if case .object(let ignored)? = parsed[Self.ignoredFieldsKey] { request.ignoredFields = ignored }
        if let responses = parsed[Self.responsesKey] { request.responses = ResponsesRequest(canonicalValue: responses) }
        self = request
    }
}

/// One turn of a chat request as submitted (the tokenizer's `ChatMessage` is the same turn as a
/// chat template renders it; the daemon maps one to the other).
public struct RequestMessage: Equatable, Sendable {
    public enum Role: String, Sendable, CaseIterable {
        case system, user, assistant
    }

    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}
