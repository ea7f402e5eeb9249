import JSON
import JobStore

/// Validates the request fields of one batch-file line (the `body` of an OpenAI Batch line, or
/// the short form's top level) and builds a `JobRequest`. It is strict: every problem is
/// collected with the field's path (`body.messages[1].role`), unknown fields are refused with a
/// hint, and JSON `null` means "absent" for optional fields, as OpenAI clients send it.
enum JobRequestParser {
    /// The request fields, in the order the error messages list them.
    static let requestFields = [
        "model", "prompt", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p",
        "top_k", "min_p", "seed", "stop", "presence_penalty", "frequency_penalty", "repetition_penalty",
        "logprobs", "top_logprobs", "n", "response_format",
    ]

    /// Parses the request fields among `members`, leaving the keys in `skipping` (the short
    /// form's `id`) to the caller. `expectedKind` comes from the Batch line's `url`.
    static func parseBody(_ members: [JSONMember], prefix: String, skipping: Set<String>,
                          expectedKind: JobKind?,
                          problems: inout [FieldProblem]) -> JobRequest? {
        let problemCount = problems.count
        func report(_ key: String, _ message: String) {
            problems.append(FieldProblem(field: prefix + key, message: message))
        }
        var fields = Fields()
        var ignored: [JSONMember] = []
        // Where `response_format: {"type": "text"}` goes among the ignored fields (in file order).
        var textFormatSlot = 0
        for member in members where !skipping.contains(member.key) {
            if member.key == "response_format" { textFormatSlot = ignored.count }
            if requestFields.contains(member.key) {
                if member.value != .null { fields.values[member.key] = member.value } else { fields.nulls.insert(member.key) }
                continue
            }
            switch OpenAIFieldPolicy.verdict(for: member.key, value: member.value) {
            case .ignored?:
                if member.value != .null { ignored.append(member) }
            case .refused(let hint)?:
                report(member.key, "not supported: \(hint)")
            case nil:
                report(member.key, unknownFieldMessage(member.key, known: requestFields + Array(skipping)))
            }
        }

        let model = fields.string("model", prefix: prefix, problems: &problems)
        let input = parseInput(fields, prefix: prefix, expectedKind: expectedKind, ignored: &ignored,
                               problems: &problems)

        var request = JobRequest(model: model, input: input ?? .prompt(""))
        // max_completion_tokens is OpenAI's current name (max_tokens is deprecated for chat).
        var maxTokens: [String: Int64] = [:]
        for key in ["max_tokens", "max_completion_tokens"] {
            maxTokens[key] = fields.integer(key, in: 1...Int64(Int32.max), prefix: prefix, problems: &problems,
                                            rule: "a positive integer")
        }
        if let legacy = maxTokens["max_tokens"], let current = maxTokens["max_completion_tokens"], legacy != current {
            report("max_completion_tokens", "is \(current) but max_tokens is \(legacy); give one of them")
        } else if let value = maxTokens["max_completion_tokens"] ?? maxTokens["max_tokens"] {
            request.maxTokens = Int(value)
        }
        fields.number("temperature", into: &request.temperature, prefix: prefix,
                      problems: &problems, rule: "a number from 0 to 2") { $0 >= 0 && $0 <= 2 }
        fields.number("top_p", into: &request.topP, prefix: prefix, problems: &problems,
                      rule: "a number greater than 0 and at most 1") { $0 > 0 && $0 <= 1 }
        if let topK = fields.integer("top_k", in: 0...Int64(Int32.max), prefix: prefix, problems: &problems,
                                     rule: "a non-negative integer (0 turns it off)") {
            request.topK = Int(topK)
        }
        fields.number("min_p", into: &request.minP, prefix: prefix, problems: &problems,
                      rule: "a number from 0 to 1") { $0 >= 0 && $0 <= 1 }
        // OpenAI's seed is a 64-bit signed integer; -1 is llama.cpp's "no fixed seed".
        if let seed = fields.integer("seed", in: Int64.min...Int64.max, prefix: prefix, problems: &problems,
                                     rule: "an integer from \(Int64.min) to \(Int64.max) (-1: no fixed seed)") {
            request.seed = seed == -1 ? nil : seed
        }
        if let value = fields.values["stop"] {
            request.stop = parseStop(value, field: prefix + "stop", problems: &problems)
        }
        fields.number("presence_penalty", into: &request.presencePenalty, prefix: prefix,
                      problems: &problems, rule: "a number from -2 to 2") { $0 >= -2 && $0 <= 2 }
        fields.number("frequency_penalty", into: &request.frequencyPenalty, prefix: prefix,
                      problems: &problems, rule: "a number from -2 to 2") { $0 >= -2 && $0 <= 2 }
        fields.number("repetition_penalty", into: &request.repetitionPenalty, prefix: prefix,
                      problems: &problems, rule: "a positive number (1 turns it off)") { $0 > 0 }

        if let choices = fields.integer("n", in: 1...Int64(JobRequest.maximumChoices), prefix: prefix, problems: &problems,
                                        rule: "an integer from 1 to \(JobRequest.maximumChoices) (the answers to generate)") {
            request.choices = Int(choices)
        }
        if let value = fields.values["response_format"] {
            let before = problems.count
            request.responseFormat = ResponseFormatParser.parse(value, field: prefix + "response_format", problems: &problems)
            // {"type": "text"} asks for nothing: recorded like the other fields that change nothing.
            if request.responseFormat == nil && problems.count == before {
                ignored.insert(JSONMember("response_format", value), at: textFormatSlot)
            }
        }
        request.logprobs = parseLogprobs(fields, kind: request.kind, prefix: prefix, ignored: &ignored, problems: &problems)
        request.ignoredFields = ignored
        return problems.count == problemCount && input != nil ? request : nil
    }

    /// Chat: `logprobs` true or false, `top_logprobs` 0–20 (only with `logprobs: true`).
    /// Completions: `logprobs` 0–5, the number of alternatives (OpenAI's legacy field).
    private static func parseLogprobs(_ fields: Fields, kind: JobKind, prefix: String,
                                      ignored: inout [JSONMember], problems: inout [FieldProblem]) -> Int? {
        let flag = fields.values["logprobs"], top = fields.values["top_logprobs"]
        switch kind {
        case .chat:
            if let flag, flag != .bool(true), flag != .bool(false) {
                problems.append(FieldProblem(field: prefix + "logprobs", message: "must be true or false, got \(flag.summary)"))
                return nil
            }
            let count = fields.integer("top_logprobs", in: 0...20, prefix: prefix, problems: &problems,
                                       rule: "an integer from 0 to 20")
            if flag == .bool(true) { return Int(count ?? 0) }
            if flag == .bool(false) { ignored.append(JSONMember("logprobs", .bool(false))) }
            if let top, count.map({ $0 > 0 }) ?? false {
                problems.append(FieldProblem(field: prefix + "top_logprobs",
                    message: "needs \"logprobs\": true, got \(top.summary) without it"))
            } else if let top, count == 0 {
                ignored.append(JSONMember("top_logprobs", top))
            }
            return nil
        case .completion:
            if top != nil {
                problems.append(FieldProblem(field: prefix + "top_logprobs",
                    message: "/v1/completions takes logprobs (0 to 5 alternatives); use url /v1/chat/completions for top_logprobs"))
            }
            if flag == .bool(false) {
                ignored.append(JSONMember("logprobs", .bool(false)))
                return nil
            }
            return fields.integer("logprobs", in: 0...5, prefix: prefix, problems: &problems,
                                  rule: "an integer from 0 to 5 (the alternatives to list per token)").map(Int.init)
        }
    }

    /// `prompt` xor `messages`, matching the Batch line's url when there is one.
    private static func parseInput(_ fields: Fields, prefix: String, expectedKind: JobKind?,
                                   ignored: inout [JSONMember], problems: inout [FieldProblem]) -> JobRequest.Input? {
        let prompt = fields.values["prompt"]
        let messages = fields.values["messages"]
        // Null counts as absent for optional fields; for the input, say which it was.
        func absent(_ key: String, _ hint: String) {
            let message = fields.nulls.contains(key) ? "is null; \(hint)" : "missing (\(hint))"
            problems.append(FieldProblem(field: prefix + key, message: message))
        }
        switch (prompt, messages, expectedKind) {
        case (nil, nil, .chat?):
            absent("messages", #"give an array of {"role", "content"} objects"#)
        case (nil, nil, _):
            absent(fields.nulls.contains("messages") && !fields.nulls.contains("prompt") ? "messages" : "prompt",
                   "give prompt, or messages for a chat")
        case (_?, _?, _):
            problems.append(FieldProblem(field: prefix + "messages",
                                         message: "give either prompt or messages, not both"))
        case (_?, nil, .chat?):
            problems.append(FieldProblem(field: prefix + "prompt",
                message: "/v1/chat/completions takes messages; use url /v1/completions for a prompt"))
        case (nil, _?, .completion?):
            problems.append(FieldProblem(field: prefix + "messages",
                message: "/v1/completions takes a prompt; use url /v1/chat/completions for messages"))
        case (let prompt?, nil, _):
            guard case .string(let text) = prompt else {
                let hint = if case .array = prompt { " (one prompt per line)" } else { "" }
                problems.append(FieldProblem(field: prefix + "prompt",
                                             message: "must be a string\(hint), got \(prompt.summary)"))
                return nil
            }
            guard !text.isEmpty else {
                problems.append(FieldProblem(field: prefix + "prompt", message: "must not be empty"))
                return nil
            }
            return .prompt(text)
        case (nil, let messages?, _):
            return parseMessages(messages, field: "messages", prefix: prefix, ignored: &ignored,
                                 problems: &problems).map(JobRequest.Input.messages)
        }
        return nil
    }

    /// The message fields OpenAI defines besides role and content: accepted and recorded when
    /// they change nothing here (`name`: our chat formats do not show it; an assistant's
    /// `refusal: null`), refused when they need tools or audio.
    private static let messageFieldHints: [String: String?] = [
        "name": nil,
        "refusal": nil,
        "tool_calls": "tool calls are not supported; remove tool_calls",
        "function_call": "function calls are not supported; remove function_call",
        "tool_call_id": "tool calls are not supported; remove tool_call_id",
        "audio": "audio is not supported; remove audio",
    ]

    private static func parseMessages(_ value: JSONValue, field: String, prefix: String,
                                      ignored: inout [JSONMember],
                                      problems: inout [FieldProblem]) -> [RequestMessage]? {
        guard case .array(let elements) = value, !elements.isEmpty else {
            problems.append(FieldProblem(field: prefix + field,
                message: "must be a non-empty array of {\"role\", \"content\"} objects, got \(value.summary)"))
            return nil
        }
        let problemCount = problems.count
        var messages: [RequestMessage] = []
        for (index, element) in elements.enumerated() {
            let path = "\(field)[\(index)]"
            let fullPath = prefix + path
            guard case .object(let members) = element else {
                problems.append(FieldProblem(field: fullPath,
                    message: "must be an object with role and content, got \(element.summary)"))
                continue
            }
            for member in members where member.key != "role" && member.key != "content" {
                switch messageFieldHints[member.key] {
                case .some(.none) where member.key != "refusal" || member.value == .null:
                    if member.value != .null { ignored.append(JSONMember("\(path).\(member.key)", member.value)) }
                case .some(.none):
                    problems.append(FieldProblem(field: "\(fullPath).\(member.key)",
                        message: "not supported: an earlier refusal goes in content; remove refusal"))
                case .some(.some(let hint)):
                    if member.value != .null {
                        problems.append(FieldProblem(field: "\(fullPath).\(member.key)", message: "not supported: \(hint)"))
                    }
                case nil:
                    problems.append(FieldProblem(field: "\(fullPath).\(member.key)",
                        message: unknownFieldMessage(member.key, known: ["role", "content"] + messageFieldHints.keys.sorted())))
                }
            }
            let roles = (RequestMessage.Role.allCases.map(\.rawValue) + ["developer"]).joined(separator: ", ")
            var role: RequestMessage.Role?
            switch element["role"] {
            case .string("developer")?:
                // OpenAI's current name for the system message.
                role = .system
            case .string(let name)? where name == "tool" || name == "function":
                problems.append(FieldProblem(field: "\(fullPath).role",
                    message: "\(name) messages answer tool calls, which are not supported; remove this message"))
            case .string(let name)?:
                role = RequestMessage.Role(rawValue: name)
                if role == nil {
                    problems.append(FieldProblem(field: "\(fullPath).role",
                        message: "must be one of \(roles), got \(JSONValue.string(name).summary)"))
                }
            case nil:
                problems.append(FieldProblem(field: "\(fullPath).role", message: "missing (one of \(roles))"))
            case let other?:
                problems.append(FieldProblem(field: "\(fullPath).role",
                    message: "must be one of \(roles), got \(other.summary)"))
            }
            let content = parseContent(element["content"], field: "\(fullPath).content", problems: &problems)
            if let role, let content { messages.append(RequestMessage(role: role, content: content)) }
        }
        return problems.count == problemCount ? messages : nil
    }

    /// A message's content: a string, or OpenAI's array of `{"type": "text", "text": ...}` parts
    /// (joined). Other part types (images, audio) are refused.
    private static func parseContent(_ value: JSONValue?, field: String,
                                     problems: inout [FieldProblem]) -> String? {
        switch value {
        case .string(let text)?:
            return text
        case nil:
            problems.append(FieldProblem(field: field, message: "missing (\(contentShapes))"))
        case .null?:
            // OpenAI allows null beside tool_calls, which are refused on their own line.
            problems.append(FieldProblem(field: field, message: "is null; give the message's text (\(contentShapes))"))
        case .array(let parts)?:
            var text = ""
            for (index, part) in parts.enumerated() {
                guard case .string("text")? = part["type"], let value = part["text"] else {
                    problems.append(FieldProblem(field: "\(field)[\(index)]",
                        message: "only {\"type\": \"text\", \"text\": \"...\"} parts are supported"))
                    return nil
                }
                guard case .string(let piece) = value else {
                    problems.append(FieldProblem(field: "\(field)[\(index)].text", message: "must be a string, got \(value.summary)"))
                    return nil
                }
                text += piece
            }
            return text
        case let other?:
            problems.append(FieldProblem(field: field, message: "must be \(contentShapes), got \(other.summary)"))
        }
        return nil
    }

    private static let contentShapes = #"a string, or an array of {"type": "text", "text": "..."} parts"#

    private static func parseStop(_ value: JSONValue, field: String,
                                  problems: inout [FieldProblem]) -> [String] {
        let elements: [JSONValue]
        switch value {
        case .string: elements = [value]
        case .array(let array): elements = array
        default:
            problems.append(FieldProblem(field: field,
                message: "must be a string or an array of at most \(JobRequest.maximumStopSequences) strings, got \(value.summary)"))
            return []
        }
        guard elements.count <= JobRequest.maximumStopSequences else {
            problems.append(FieldProblem(field: field,
                message: "has \(elements.count) strings; at most \(JobRequest.maximumStopSequences) are allowed"))
            return []
        }
        var stops: [String] = []
        for (index, element) in elements.enumerated() {
            let path = value == element ? field : "\(field)[\(index)]"
            guard case .string(let text) = element else {
                problems.append(FieldProblem(field: path, message: "must be a string, got \(element.summary)"))
                continue
            }
            guard !text.isEmpty else {
                problems.append(FieldProblem(field: path, message: "must not be an empty string"))
                continue
            }
            stops.append(text)
        }
        return stops
    }

    /// "unknown field" with the closest known name, or the hint for a known OpenAI field.
    static func unknownFieldMessage(_ key: String, known: [String]) -> String {
        let closest = known.map { ($0, editDistance($0, key)) }.min { $0.1 < $1.1 }
        if let (name, distance) = closest, distance <= max(2, key.count / 3) {
            return "unknown field (did you mean \(name)?)"
        }
        return "unknown field; allowed: \(known.joined(separator: ", "))"
    }

    /// Levenshtein distance between two short ASCII-ish names.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The present, non-null request fields of one line.
    struct Fields {
        var values: [String: JSONValue] = [:]
        /// Request fields given as null (left out of `values`).
        var nulls: Set<String> = []

        func string(_ key: String, prefix: String, problems: inout [FieldProblem]) -> String? {
            guard let value = values[key] else { return nil }
            guard case .string(let text) = value, !text.isEmpty else {
                problems.append(FieldProblem(field: prefix + key,
                                             message: "must be a non-empty string, got \(value.summary)"))
                return nil
            }
            return text
        }

        /// An integer in `range`, written as one or as an integral number (`8.0`); otherwise
        /// reports "must be <rule>, got <the value as written>". Nil when absent or refused.
        func integer(_ key: String, in range: ClosedRange<Int64>, prefix: String,
                     problems: inout [FieldProblem], rule: String) -> Int64? {
            guard let value = values[key] else { return nil }
            if let integer = value.integralValue, range.contains(integer) { return integer }
            let message: String
            // Above a bound below Int64.max the rule ("a positive integer") would contradict the
            // value: say the bound. A rule for the whole 64-bit range states it itself.
            if range.upperBound < Int64.max, let number = value.numberValue, number == number.rounded(),
               number > Double(range.upperBound) {
                message = "must be at most \(range.upperBound), got \(value.summary)"
            } else {
                message = "must be \(rule), got \(value.summary)"
            }
            problems.append(FieldProblem(field: prefix + key, message: message))
            return nil
        }

        /// Reads a number into `target` when `isValid`; otherwise reports "must be <rule>".
        func number(_ key: String, into target: inout Double, prefix: String,
                    problems: inout [FieldProblem], rule: String, isValid: (Double) -> Bool) {
            guard let value = values[key] else { return }
            guard let number = value.numberValue, isValid(number) else {
                problems.append(FieldProblem(field: prefix + key, message: "must be \(rule), got \(value.summary)"))
                return
            }
            target = number
        }
    }
}

/// One problem with one field of a line: `body.max_tokens: must be a positive integer, got -5`.
struct FieldProblem: Equatable, Sendable, CustomStringConvertible {
    /// The path of the field (`custom_id`, `body.messages[2].role`); empty for the whole line.
    var field: String
    var message: String

    var description: String { field.isEmpty ? message : "\(field): \(message)" }
}
