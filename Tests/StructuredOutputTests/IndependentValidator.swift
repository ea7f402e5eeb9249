import Foundation

/// A JSON Schema validator for the keywords the corpus uses, written apart from the grammar
/// compiler: values come from Foundation's JSONDecoder, patterns go to NSRegularExpression,
/// dates to Calendar, UUIDs to Foundation's UUID. It decides whether an output is valid; it
/// never looks at the grammar.
indirect enum JSONAny: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONAny]), object([String: JSONAny])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Double.self) { self = .number(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([JSONAny].self) { self = .array(value); return }
        self = .object(try container.decode([String: JSONAny].self))
    }

    static func parse(_ text: String) -> JSONAny? {
        try? JSONDecoder().decode(JSONAny.self, from: Data(text.utf8))
    }
}

struct IndependentValidator {
    let root: JSONAny

    /// Problems with `value` under `schema` (empty: valid).
    func problems(_ value: JSONAny, _ schema: JSONAny, path: String = "$") -> [String] {
        guard case .object(let s) = schema else {
            if schema == .bool(false) { return ["\(path): false schema"] }
            return []
        }
        var found: [String] = []
        if case .string(let ref)? = s["$ref"] {
            guard let target = resolve(ref) else { return ["\(path): bad $ref \(ref)"] }
            return problems(value, target, path: path)
        }
        if case .array(let branches)? = s["anyOf"] {
            if !branches.contains(where: { problems(value, $0, path: path).isEmpty }) { found.append("\(path): no anyOf branch matches") }
        }
        if case .array(let options)? = s["enum"], !options.contains(where: { $0 == value }) { found.append("\(path): not in enum") }
        if let constant = s["const"], constant != value { found.append("\(path): not the const") }
        switch s["type"] {
        case .string(let type)?: if !has(value, type: type) { found.append("\(path): not \(type)") }
        case .array(let types)?:
            if !types.contains(where: { if case .string(let t) = $0 { return has(value, type: t) } else { return false } }) {
                found.append("\(path): none of the types")
            }
        default: break
        }
        switch value {
        case .object(let members):
            if case .object(let properties)? = s["properties"] {
                for (key, sub) in properties { if let member = members[key] { found += problems(member, sub, path: "\(path).\(key)") } }
                if s["additionalProperties"] == .bool(false) {
                    for key in members.keys where properties[key] == nil { found.append("\(path): extra property \(key)") }
                }
            }
            if case .array(let required)? = s["required"] {
                for case .string(let key) in required where members[key] == nil { found.append("\(path): missing \(key)") }
            }
        case .array(let items):
            if let itemSchema = s["items"] {
                for (index, item) in items.enumerated() { found += problems(item, itemSchema, path: "\(path)[\(index)]") }
            }
            if case .number(let n)? = s["minItems"], Double(items.count) < n { found.append("\(path): too few items") }
            if case .number(let n)? = s["maxItems"], Double(items.count) > n { found.append("\(path): too many items") }
        case .string(let text):
            let length = Double(text.unicodeScalars.count)
            if case .number(let n)? = s["minLength"], length < n { found.append("\(path): too short") }
            if case .number(let n)? = s["maxLength"], length > n { found.append("\(path): too long") }
            if case .string(let pattern)? = s["pattern"] {
                let regex = try! NSRegularExpression(pattern: pattern)
                if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                    found.append("\(path): \(text) does not match \(pattern)")
                }
            }
            if case .string(let format)? = s["format"], !Self.formatHolds(format, text) { found.append("\(path): \(text) is not a \(format)") }
        case .number(let x):
            if case .number(let n)? = s["minimum"], x < n { found.append("\(path): below minimum") }
            if case .number(let n)? = s["maximum"], x > n { found.append("\(path): above maximum") }
            if case .number(let n)? = s["exclusiveMinimum"], x <= n { found.append("\(path): not above exclusiveMinimum") }
            if case .number(let n)? = s["exclusiveMaximum"], x >= n { found.append("\(path): not below exclusiveMaximum") }
        default: break
        }
        return found
    }

    private func has(_ value: JSONAny, type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.array, "array"), (.object, "object"), (.number, "number"):
            return true
        case (.number(let x), "integer"): return x == x.rounded()
        default: return false
        }
    }

    private func resolve(_ ref: String) -> JSONAny? {
        guard ref.hasPrefix("#") else { return nil }
        var node = root
        for token in ref.dropFirst().split(separator: "/") {
            guard case .object(let members) = node, let next = members[String(token)] else { return nil }
            node = next
        }
        return node
    }

    static func formatHolds(_ format: String, _ text: String) -> Bool {
        switch format {
        case "date": return isDate(text)
        case "date-time":
            guard let t = text.firstIndex(of: "T") else { return false }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            let fractional = ISO8601DateFormatter()
            fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return isDate(String(text[..<t])) && (formatter.date(from: text) != nil || fractional.date(from: text) != nil)
        case "email":
            return text.range(of: #"^[^@\s]+@[^@\s]+\.[^@\s]+$"#, options: .regularExpression) != nil
        case "uuid": return UUID(uuidString: text) != nil
        default: return false
        }
    }

    /// yyyy-mm-dd naming a real day of the Gregorian calendar.
    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), year >= 1 else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(calendar: calendar, year: year, month: month, day: day)
        return components.isValidDate(in: calendar)
    }
}
