import JSON

/// The parts of OpenAI's published OpenAPI description (github.com/openai/openai-openapi,
/// `openapi.json`, read in November 2026) that our output bodies must satisfy: the required
/// fields and their types, written by hand from the schemas named below. Optional fields we
/// write are checked too; fields we never write are left out.
public indirect enum OpenAISchema: Sendable {
    case string(oneOf: [String]? = nil)
    case integer
    case number
    case boolean
    case null
    case array(OpenAISchema)
    /// `required` must be present; `optional` is checked when present. Other keys are allowed
    /// (OpenAI's schemas do not forbid additional properties).
    case object(required: [String: OpenAISchema], optional: [String: OpenAISchema] = [:])
    /// `additionalProperties` of one type (a map).
    case map(OpenAISchema)
    case anyOf([OpenAISchema])

    /// Where `value` breaks the schema: `choices[0].message.refusal: missing`. Empty when valid.
    public func problems(in value: JSONValue, at path: String = "") -> [String] {
        func here(_ message: String) -> [String] { [(path.isEmpty ? "" : path + ": ") + message] }
        switch (self, value) {
        case (.string(let allowed), .string(let text)):
            if let allowed, !allowed.contains(text) { return here("\"\(text)\" is not one of \(allowed)") }
            return []
        case (.integer, .integer), (.number, .integer), (.number, .double), (.number, .number),
             (.boolean, .bool), (.null, .null):
            return []
        case (.array(let element), .array(let elements)):
            return elements.enumerated().flatMap { element.problems(in: $0.element, at: "\(path)[\($0.offset)]") }
        case (.object(let required, let optional), .object):
            var found: [String] = []
            for (key, schema) in required.sorted(by: { $0.key < $1.key }) {
                let child = path.isEmpty ? key : "\(path).\(key)"
                guard let member = value[key] else {
                    found.append("\(child): missing")
                    continue
                }
                found += schema.problems(in: member, at: child)
            }
            for (key, schema) in optional.sorted(by: { $0.key < $1.key }) {
                if let member = value[key] { found += schema.problems(in: member, at: path.isEmpty ? key : "\(path).\(key)") }
            }
            return found
        case (.map(let element), .object(let members)):
            return members.flatMap { element.problems(in: $0.value, at: "\(path).\($0.key)") }
        case (.anyOf(let choices), _):
            let attempts = choices.map { $0.problems(in: value, at: path) }
            return attempts.contains { $0.isEmpty } ? [] : attempts.min { $0.count < $1.count } ?? []
        default:
            return here("expected \(self.name), got \(value.summary)")
        }
    }

    private var name: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .number: return "a number"
        case .boolean: return "a boolean"
        case .null: return "null"
        case .array: return "an array"
        case .object, .map: return "an object"
        case .anyOf: return "one of several types"
        }
    }

    // MARK: The schemas

    /// `CompletionUsage`.
    public static let completionUsage = OpenAISchema.object(required: [
        "prompt_tokens": .integer, "completion_tokens": .integer, "total_tokens": .integer,
    ])

    /// `ChatCompletionTokenLogprob`.
    public static let chatTokenLogprob = OpenAISchema.object(required: [
        "token": .string(), "logprob": .number, "bytes": .anyOf([.array(.integer), .null]),
        "top_logprobs": .array(.object(required: [
            "token": .string(), "logprob": .number, "bytes": .anyOf([.array(.integer), .null]),
        ])),
    ])

    /// `CreateChatCompletionResponse` with `ChatCompletionResponseMessage`.
    public static let createChatCompletionResponse = OpenAISchema.object(required: [
        "id": .string(), "object": .string(oneOf: ["chat.completion"]), "created": .integer, "model": .string(),
        "choices": .array(.object(required: [
            "index": .integer,
            "finish_reason": .string(oneOf: ["stop", "length", "tool_calls", "content_filter", "function_call"]),
            "message": .object(required: [
                "role": .string(oneOf: ["assistant"]),
                "content": .anyOf([.string(), .null]),
                "refusal": .anyOf([.string(), .null]),
            ]),
            "logprobs": .anyOf([.null, .object(required: [
                "content": .anyOf([.array(chatTokenLogprob), .null]),
                "refusal": .anyOf([.array(chatTokenLogprob), .null]),
            ])]),
        ])),
    ], optional: ["usage": completionUsage, "system_fingerprint": .string()])

    /// `CreateCompletionResponse` (the legacy completions object).
    public static let createCompletionResponse = OpenAISchema.object(required: [
        "id": .string(), "object": .string(oneOf: ["text_completion"]), "created": .integer, "model": .string(),
        "choices": .array(.object(required: [
            "index": .integer, "text": .string(),
            "finish_reason": .string(oneOf: ["stop", "length", "content_filter"]),
            "logprobs": .anyOf([.null, .object(required: [:], optional: [
                "text_offset": .array(.integer), "token_logprobs": .array(.number), "tokens": .array(.string()),
                "top_logprobs": .array(.map(.number)),
            ])]),
        ])),
    ], optional: ["usage": completionUsage, "system_fingerprint": .string()])

    /// `Response` (its required fields: `ModelResponseProperties`, `ResponseProperties` and the
    /// object's own), with `OutputMessage`, `OutputTextContent` and `ResponseUsage`.
    public static let response = OpenAISchema.object(required: [
        "id": .string(), "object": .string(oneOf: ["response"]), "created_at": .number, "model": .string(),
        "error": .anyOf([.null, .object(required: ["code": .string(), "message": .string()])]),
        "incomplete_details": .anyOf([.null, .object(required: [:], optional: [
            "reason": .string(oneOf: ["max_output_tokens", "content_filter"])])]),
        "instructions": .anyOf([.string(), .array(.object(required: [:])), .null]),
        "tools": .array(.object(required: [:])),
        "output": .array(.object(required: [
            "id": .string(), "type": .string(oneOf: ["message"]), "role": .string(oneOf: ["assistant"]),
            "status": .string(oneOf: ["in_progress", "completed", "incomplete"]),
            "content": .array(.object(required: [
                "type": .string(oneOf: ["output_text"]), "text": .string(), "annotations": .array(.object(required: [:])),
                "logprobs": .array(.object(required: [
                    "token": .string(), "logprob": .number, "bytes": .array(.integer),
                    "top_logprobs": .array(.object(required: ["token": .string(), "logprob": .number, "bytes": .array(.integer)])),
                ])),
            ])),
        ])),
        "parallel_tool_calls": .boolean,
        "metadata": .anyOf([.map(.string()), .null]),
        "tool_choice": .anyOf([.string(oneOf: ["none", "auto", "required"]), .object(required: [:])]),
        "temperature": .anyOf([.number, .null]), "top_p": .anyOf([.number, .null]),
    ], optional: [
        "status": .string(oneOf: ["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"]),
        "completed_at": .anyOf([.number, .null]), "max_output_tokens": .anyOf([.integer, .null]),
        "top_logprobs": .anyOf([.integer, .null]),
        "usage": .object(required: [
            "input_tokens": .integer, "output_tokens": .integer, "total_tokens": .integer,
            "input_tokens_details": .object(required: ["cached_tokens": .integer, "cache_write_tokens": .integer]),
            "output_tokens_details": .object(required: ["reasoning_tokens": .integer]),
        ]),
    ])
}
