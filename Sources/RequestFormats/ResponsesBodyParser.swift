import JSON
import JobStore

/// Reads the body of a `/v1/responses` line (OpenAI's Responses API) into a chat `JobRequest`:
/// `input` (a string, or a list of message items whose content is text) becomes the messages,
/// `instructions` the system message, `max_output_tokens` the token limit; `temperature`,
/// `top_p` and the fields every endpoint shares are read as for chat completions.
///
/// When `instructions` and a leading system (or developer) message are both given, the model
/// sees one system message: the instructions, a blank line, then that message.
enum ResponsesBodyParser {
    /// Fields of the Responses API with no chat-completions counterpart, and what they take.
    private static let refusals: [String: (accepts: @Sendable (JSONValue) -> Bool, hint: String)] = [
        "reasoning": ({ if case .object(let members) = $0 { members.allSatisfy { $0.value == .null } } else { false } },
                      "the models run here do not reason before answering; remove reasoning"),
        "truncation": ({ $0 == .string("disabled") },
                       "a conversation longer than the context fails instead of being cut; remove truncation or set \"disabled\""),
        "include": ({ $0 == .array([]) || $0 == .array([.string(logprobsInclude)]) },
                    "only \"\(logprobsInclude)\" can be included; remove the others"),
        "background": ({ $0 == .bool(false) }, "every batch job runs in the background already; remove background"),
        "max_tool_calls": ({ _ in true }, ""),
        "previous_response_id": ({ _ in false }, "responses are not stored for a later turn; put the earlier turns in input"),
        "conversation": ({ _ in false }, "conversations are not stored; put the earlier turns in input"),
        "prompt": ({ _ in false }, "stored prompt templates are not available; write the prompt in input"),
        "messages": ({ _ in false }, "the Responses API takes input; use input, or url /v1/chat/completions for messages"),
        "max_tokens": ({ _ in false }, "the Responses API names it max_output_tokens"),
        "n": ({ $0.integralValue == 1 }, "the Responses API gives one answer; use url /v1/chat/completions for n"),
        "max_completion_tokens": ({ _ in false }, "the Responses API names it max_output_tokens"),
    ]

    /// The `include` value that asks for the output text's log-probabilities.
    static let logprobsInclude = "message.output_text.logprobs"

    static func parse(_ members: [JSONMember], prefix: String, problems: inout [FieldProblem]) -> JobRequest? {
        let problemCount = problems.count
        var passed: [JSONMember] = []
        var ignored: [JSONMember] = []
        var messages: [RequestMessage] = []
        var instructions: String?
        var maxTokens: Int64?
        var sawInput = false
        var topLogprobs: Int64?
        for member in members {
            switch member.key {
            case "input":
                sawInput = true
                messages = parseInput(member.value, field: prefix + "input", problems: &problems)
            case "instructions":
                switch member.value {
                case .null: break
                case .string(let text): instructions = text
                default:
                    problems.append(FieldProblem(field: prefix + "instructions", message: "must be a string, got \(member.value.summary)"))
                }
            case "top_logprobs":
                topLogprobs = JobRequestParser.Fields(values: member.value == .null ? [:] : [member.key: member.value])
                    .integer(member.key, in: 0...20, prefix: prefix, problems: &problems, rule: "an integer from 0 to 20")
            case "text":
                if member.value == .null { continue }
                let before = problems.count
                if let format = ResponseFormatParser.parseResponsesText(member.value, field: prefix + "text", problems: &problems) {
                    passed.append(JSONMember("response_format", format.canonicalValue))
                } else if problems.count == before {
                    ignored.append(member)
                }
            case "max_output_tokens":
                maxTokens = JobRequestParser.Fields(values: member.value == .null ? [:] : [member.key: member.value])
                    .integer(member.key, in: 1...Int64(Int32.max), prefix: prefix, problems: &problems, rule: "a positive integer")
            default:
                if let rule = refusals[member.key] {
                    if member.value == .null { continue }
                    if rule.accepts(member.value) {
                        ignored.append(member)
                    } else {
                        problems.append(FieldProblem(field: prefix + member.key, message: "not supported: \(rule.hint)"))
                    }
                } else {
                    passed.append(member)
                }
            }
        }
        if !sawInput {
            problems.append(FieldProblem(field: prefix + "input", message: "missing (a string, or a list of messages)"))
        }
        if let instructions {
            if let first = messages.first, first.role == .system {
                messages[0].content = instructions + "\n\n" + first.content
            } else {
                messages.insert(RequestMessage(role: .system, content: instructions), at: 0)
            }
        }
        let conversation = JSONValue.array(messages.map {
            .object([JSONMember("role", .string($0.role.rawValue)), JSONMember("content", .string($0.content))])
        })
        guard problems.count == problemCount else { return nil }
        guard var request = JobRequestParser.parseBody(passed + [JSONMember("messages", conversation)], prefix: prefix,
                                                       skipping: [], expectedKind: .chat, problems: &problems) else {
            return nil
        }
        if let maxTokens { request.maxTokens = Int(maxTokens) }
        // Log-probabilities come with `include: ["message.output_text.logprobs"]`; `top_logprobs`
        // alone asks for them too (OpenAI returns them only with the include; we never drop them).
        let includesLogprobs = ignored.contains { $0.key == "include" && $0.value == .array([.string(logprobsInclude)]) }
        if includesLogprobs || topLogprobs != nil { request.logprobs = Int(topLogprobs ?? 0) }
        request.ignoredFields = ignored + request.ignoredFields
        request.responses = ResponsesRequest(instructions: instructions)
        return request
    }

    /// A string (one user message) or a list of message items with text content.
    private static func parseInput(_ value: JSONValue, field: String, problems: inout [FieldProblem]) -> [RequestMessage] {
        switch value {
        case .string(let text) where !text.isEmpty:
            return [RequestMessage(role: .user, content: text)]
        case .array(let items) where !items.isEmpty:
            var messages: [RequestMessage] = []
            for (index, item) in items.enumerated() {
                if let message = parseItem(item, field: "\(field)[\(index)]", problems: &problems) { messages.append(message) }
            }
            return messages
        default:
            problems.append(FieldProblem(field: field,
                message: "must be a non-empty string or a non-empty list of {\"role\", \"content\"} messages, got \(value.summary)"))
            return []
        }
    }

    private static func parseItem(_ item: JSONValue, field: String, problems: inout [FieldProblem]) -> RequestMessage? {
        guard case .object(let members) = item else {
            problems.append(FieldProblem(field: field, message: "must be a message object with role and content, got \(item.summary)"))
            return nil
        }
        if let type = item["type"], type != .string("message") {
            problems.append(FieldProblem(field: "\(field).type",
                message: "only message items are supported (no tool calls, tool outputs or reasoning items), got \(type.summary)"))
            return nil
        }
        for member in members where !["role", "content", "type", "id", "status"].contains(member.key) {
            problems.append(FieldProblem(field: "\(field).\(member.key)",
                message: JobRequestParser.unknownFieldMessage(member.key, known: ["role", "content", "type", "id", "status"])))
        }
        let roles = "user, assistant, system, developer"
        let role: RequestMessage.Role?
        switch item["role"] {
        case .string("developer")?, .string("system")?: role = .system
        case .string("user")?: role = .user
        case .string("assistant")?: role = .assistant
        case let other:
            role = nil
            problems.append(FieldProblem(field: "\(field).role", message: "must be one of \(roles), got \(other?.summary ?? "nothing")"))
        }
        var text: String?
        switch item["content"] {
        case .string(let content)?:
            text = content
        case .array(let parts)?:
            var joined = ""
            for (index, part) in parts.enumerated() {
                guard case .string(let type)? = part["type"], ["input_text", "output_text", "text"].contains(type),
                      case .string(let piece)? = part["text"] else {
                    problems.append(FieldProblem(field: "\(field).content[\(index)]",
                        message: "only {\"type\": \"input_text\", \"text\": \"...\"} parts are supported (no images, files or audio)"))
                    return nil
                }
                joined += piece
            }
            text = joined
        case let other:
            problems.append(FieldProblem(field: "\(field).content", message: "must be a string or a list of text parts, got \(other?.summary ?? "nothing")"))
        }
        guard let role, let text else { return nil }
        return RequestMessage(role: role, content: text)
    }
}
