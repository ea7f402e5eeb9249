import Foundation
import JSON
import StructuredOutput

/// A job's structured-output request: OpenAI's `response_format` (`{"type": "json_object"}`, or
/// `{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`), or the same inside a
/// Responses line's `text.format`. `{"type": "text"}` is no format and is not stored.
///
/// Stored with the job as written in the chat-completions shape (`canonicalValue`), and part of
/// the request hash: it changes the answer.
public struct ResponseFormat: Equatable, Sendable {
    public var format: OutputFormat
    /// `json_schema.name` (informational; OpenAI requires it).
    public var name: String?
    /// `json_schema.strict` as written; the schema is always enforced exactly or refused.
    public var strict: Bool?

    public init(format: OutputFormat, name: String? = nil, strict: Bool? = nil) {
        self.format = format
        self.name = name
        self.strict = strict
    }

    var canonicalValue: JSONValue {
        switch format {
        case .jsonObject:
            return .object([JSONMember("type", .string("json_object"))])
        case .jsonSchema(let schema):
            var inner: [JSONMember] = []
            if let name { inner.append(JSONMember("name", .string(name))) }
            inner.append(JSONMember("schema", JSONValue(schema)))
            if let strict { inner.append(JSONMember("strict", .bool(strict))) }
            return .object([JSONMember("type", .string("json_schema")), JSONMember("json_schema", .object(inner))])
        }
    }
}

extension JSONValue {
    /// The value as the schema compiler reads it.
    var schemaValue: SchemaValue {
        switch self {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .integer(let value): return .integer(value)
        case .double(let value): return .number(value, written: JSONValue.format(value))
        case .number(let value, let written): return .number(value, written: written)
        case .string(let text): return .string(text)
        case .array(let elements): return .array(elements.map(\.schemaValue))
        case .object(let members): return .object(members.map { (key: $0.key, value: $0.value.schemaValue) })
        }
    }

    init(_ schema: SchemaValue) {
        switch schema {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .integer(let value): self = .integer(value)
        case .number(let value, let written): self = .number(value, written: written)
        case .string(let text): self = .string(text)
        case .array(let elements): self = .array(elements.map(JSONValue.init))
        case .object(let members): self = .object(members.map { JSONMember($0.key, JSONValue($0.value)) })
        }
    }
}

extension ResponseFormat {
    /// A schema from JSON text, members in order (built-in schemas such as `jobs bench`'s).
    public static func schema(json text: String) throws -> SchemaValue {
        try JSONParser.parse(text).schemaValue
    }
}

/// Reads `response_format` (chat and completions lines, the short form) and `text.format`
/// (Responses lines), and compiles the schema once to refuse at submit what cannot be enforced:
/// `prompts.jsonl:4: body.response_format.json_schema.schema/properties/age: "multipleOf" is not supported`.
enum ResponseFormatParser {
    /// `response_format`; nil for `{"type": "text"}` (and after reporting a problem).
    static func parse(_ value: JSONValue, field: String, problems: inout [FieldProblem]) -> ResponseFormat? {
        guard case .object(let members) = value else {
            problems.append(FieldProblem(field: field, message: "must be an object such as {\"type\": \"json_schema\", \"json_schema\": {...}}, got \(value.summary)"))
            return nil
        }
        for member in members where member.key != "type" && member.key != "json_schema" {
            problems.append(FieldProblem(field: "\(field).\(member.key)",
                message: JobRequestParser.unknownFieldMessage(member.key, known: ["type", "json_schema"])))
        }
        switch value["type"] {
        case .string("text")?:
            if value["json_schema"] != nil {
                problems.append(FieldProblem(field: "\(field).json_schema", message: "only goes with \"type\": \"json_schema\""))
            }
            return nil
        case .string("json_object")?:
            if value["json_schema"] != nil {
                problems.append(FieldProblem(field: "\(field).json_schema", message: "only goes with \"type\": \"json_schema\""))
                return nil
            }
            return ResponseFormat(format: .jsonObject)
        case .string("json_schema")?:
            guard let inner = value["json_schema"] else {
                problems.append(FieldProblem(field: "\(field).json_schema", message: "missing ({\"name\": ..., \"schema\": {...}})"))
                return nil
            }
            guard case .object(let innerMembers) = inner else {
                problems.append(FieldProblem(field: "\(field).json_schema", message: "must be an object with name and schema, got \(inner.summary)"))
                return nil
            }
            return schemaFormat(innerMembers, field: "\(field).json_schema", allowed: ["name", "schema", "strict", "description"],
                                problems: &problems)
        case let other:
            problems.append(FieldProblem(field: "\(field).type",
                message: "must be \"text\", \"json_object\" or \"json_schema\", got \(other?.summary ?? "nothing")"))
            return nil
        }
    }

    /// A Responses line's `text`: `{"format": {"type": "json_schema", "name", "schema", "strict"}}`
    /// (the schema fields sit beside `type`, unlike chat's `response_format`).
    static func parseResponsesText(_ value: JSONValue, field: String, problems: inout [FieldProblem]) -> ResponseFormat? {
        guard case .object(let members) = value else {
            problems.append(FieldProblem(field: field, message: "must be an object such as {\"format\": {\"type\": \"json_schema\", ...}}, got \(value.summary)"))
            return nil
        }
        for member in members where member.key != "format" && member.key != "verbosity" {
            problems.append(FieldProblem(field: "\(field).\(member.key)", message: JobRequestParser.unknownFieldMessage(member.key, known: ["format"])))
        }
        if let verbosity = value["verbosity"], verbosity != .null {
            problems.append(FieldProblem(field: "\(field).verbosity", message: "not supported: answer length is set by max_output_tokens; remove verbosity"))
        }
        guard let format = value["format"], format != .null else { return nil }
        let formatField = "\(field).format"
        guard case .object(let formatMembers) = format else {
            problems.append(FieldProblem(field: formatField, message: "must be an object with a type, got \(format.summary)"))
            return nil
        }
        switch format["type"] {
        case .string("text")?, .string("json_object")?:
            for member in formatMembers where member.key != "type" {
                problems.append(FieldProblem(field: "\(formatField).\(member.key)", message: "only goes with \"type\": \"json_schema\""))
            }
            return format["type"] == .string("text") ? nil : ResponseFormat(format: .jsonObject)
        case .string("json_schema")?:
            return schemaFormat(formatMembers.filter { $0.key != "type" }, field: formatField,
                                allowed: ["name", "schema", "strict", "description"], problems: &problems)
        case let other:
            problems.append(FieldProblem(field: "\(formatField).type",
                message: "must be \"text\", \"json_object\" or \"json_schema\", got \(other?.summary ?? "nothing")"))
            return nil
        }
    }

    private static func schemaFormat(_ members: [JSONMember], field: String, allowed: [String],
                                     problems: inout [FieldProblem]) -> ResponseFormat? {
        let problemCount = problems.count
        var name: String?, strict: Bool?, schema: JSONValue?
        for member in members {
            switch member.key {
            case "name":
                if case .string(let text) = member.value, !text.isEmpty { name = text } else {
                    problems.append(FieldProblem(field: "\(field).name", message: "must be a non-empty string, got \(member.value.summary)"))
                }
            case "strict":
                switch member.value {
                case .bool(let flag): strict = flag
                case .null: break
                default: problems.append(FieldProblem(field: "\(field).strict", message: "must be true or false, got \(member.value.summary)"))
                }
            case "schema": schema = member.value
            case "description": break
            default:
                problems.append(FieldProblem(field: "\(field).\(member.key)", message: JobRequestParser.unknownFieldMessage(member.key, known: allowed)))
            }
        }
        guard let schema else {
            problems.append(FieldProblem(field: "\(field).schema", message: "missing (the JSON schema the output must follow)"))
            return nil
        }
        let format = OutputFormat.jsonSchema(schema.schemaValue)
        if let error = SchemaCheckCache.shared.check(format) {
            problems.append(FieldProblem(field: "\(field).schema" + error.pointer, message: error.message))
        }
        guard problems.count == problemCount else { return nil }
        return ResponseFormat(format: format, name: name, strict: strict)
    }
}

/// Whether schemas compile, remembered by schema: a nightly file repeats one schema thousands of
/// times and is checked line by line.
final class SchemaCheckCache: @unchecked Sendable {
    static let shared = SchemaCheckCache()
    private let lock = NSLock()
    private var results: [String: SchemaError?] = [:]
    private static let capacity = 1_024

    func check(_ format: OutputFormat) -> SchemaError? {
        let key = format.cacheKey
        if let known = lock.withLock({ results[key] }) { return known }
        var result: SchemaError?
        do {
            _ = try format.compile()
        } catch {
            result = error
        }
        lock.withLock {
            if results.count >= Self.capacity { results.removeAll() }
            results[key] = .some(result)
        }
        return result
    }
}
