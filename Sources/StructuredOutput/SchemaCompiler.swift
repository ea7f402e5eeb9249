import Foundation

/// Compiles a JSON schema into a grammar whose language is a subset of the values the schema
/// accepts (every output the grammar allows validates), refusing what it cannot enforce.
///
/// Supported: `type` (one or a list), `enum`, `const`, `anyOf`, `$ref` to any place in the same
/// schema (`#/$defs/...`, `#`, recursion included); objects with `properties` (written in the
/// schema's order), `required`, `additionalProperties`; arrays with `items`, `minItems`,
/// `maxItems`; strings with `pattern` (see `Pattern`), `format` (`date`, `time`, `date-time`,
/// `email`, `uuid`), `minLength`, `maxLength`; integers with `minimum`, `maximum` and their
/// exclusive forms; numbers with integral bounds. Annotations (`title`, `description`,
/// `default`, `examples`, ...) are ignored. Anything else is refused with the JSON pointer of the
/// schema object that uses it.
///
/// Whitespace between tokens is bounded (`maximumWhitespace` characters) so a model cannot pad
/// forever; before the value it is allowed too, after it nothing (the value ends the output).
struct SchemaCompiler {
    static let maximumWhitespace = 20
    /// Largest `maxItems`, `minItems`, `maxLength`, `minLength` enforced (each count is a rule).
    static let maximumCount = 512

    private var builder = GrammarBuilder()
    private var root: SchemaValue = .null
    private var referenceRules: [String: Int32] = [:]
    private var whitespaceExpression: GrammarExpression?
    private var anyValueRule: Int32?
    private var anyStringExpression: GrammarExpression?

    static let annotations: Set<String> = [
        "title", "description", "$schema", "$id", "$comment", "default", "examples", "deprecated", "readOnly",
        "writeOnly", "$defs", "definitions",
    ]
    static let typeKeywords: [String: Set<String>] = [
        "object": ["properties", "required", "additionalProperties"],
        "array": ["items", "minItems", "maxItems"],
        "string": ["pattern", "format", "minLength", "maxLength"],
        "number": ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"],
        "integer": ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"],
        "boolean": [],
        "null": [],
    ]
    static let typeOrder = ["object", "array", "string", "number", "integer", "boolean", "null"]
    static let formats = ["date", "time", "date-time", "email", "uuid"]

    mutating func compileJSONObject() -> Grammar {
        let rule = builder.reserveRule()
        builder.define(rule, as: .sequence([whitespace(), genericObject()]))
        return builder.build(root: rule)
    }

    mutating func compile(_ schema: SchemaValue) throws(SchemaError) -> Grammar {
        root = schema
        let rule = builder.reserveRule()
        let body = try expression(schema, pointer: "")
        // Definitions nothing refers to are still checked, so a mistake in one is reported.
        for container in ["$defs", "definitions"] {
            if case .object(let members)? = schema[container] {
                for member in members { _ = try reference(to: "#/\(container)/\(Self.escape(member.key))", from: "") }
            }
        }
        builder.define(rule, as: .sequence([whitespace(), body]))
        let grammar = builder.build(root: rule)
        guard GrammarCheck.isProductive(grammar) else {
            throw SchemaError(pointer: "", message: "the schema accepts no finite value (every branch needs another value of its own kind, or a range is empty)")
        }
        if GrammarCheck.isLeftRecursive(grammar) {
            throw SchemaError(pointer: "", message: "a \"$ref\" refers back to its own schema before any output (left recursion); this cannot be enforced")
        }
        return grammar
    }

    // MARK: Schemas

    private mutating func expression(_ schema: SchemaValue, pointer: String) throws(SchemaError) -> GrammarExpression {
        func fail(_ message: String) -> SchemaError { SchemaError(pointer: pointer, message: message) }
        let members: [(key: String, value: SchemaValue)]
        switch schema {
        case .bool(true): return anyValue()
        case .bool(false): throw fail("the schema false accepts no value")
        case .object(let list): members = list
        default: throw fail("a schema must be an object or a boolean, got \(schema.typeName) \(schema.serialized())")
        }
        let allTypeKeywords = Self.typeKeywords.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        var keys: [String] = []
        for member in members where !Self.annotations.contains(member.key) {
            guard ["type", "enum", "const", "anyOf", "$ref"].contains(member.key) || allTypeKeywords.contains(member.key) else {
                throw fail("\"\(member.key)\" is not supported" + Self.hint(for: member.key))
            }
            keys.append(member.key)
        }
        if let reference = schema["$ref"] {
            guard keys == ["$ref"] else {
                throw fail("\"$ref\" beside other keywords (\(keys.filter { $0 != "$ref" }.map { "\"\($0)\"" }.joined(separator: ", "))) is not supported; move them into the schema it refers to")
            }
            guard case .string(let target) = reference else { throw fail("\"$ref\" must be a string") }
            return .rule(try self.reference(to: target, from: pointer))
        }
        if let anyOf = schema["anyOf"] {
            guard keys == ["anyOf"] else {
                throw fail("\"anyOf\" beside other keywords (\(keys.filter { $0 != "anyOf" }.map { "\"\($0)\"" }.joined(separator: ", "))) is not supported; move them into each branch")
            }
            guard case .array(let branches) = anyOf, !branches.isEmpty else {
                throw fail("\"anyOf\" must be a non-empty array of schemas")
            }
            var options: [GrammarExpression] = []
            for (index, branch) in branches.enumerated() {
                options.append(try expression(branch, pointer: pointer + "/anyOf/\(index)"))
            }
            return .choice(options)
        }
        let types = try declaredTypes(schema, keys: keys, pointer: pointer)
        if schema["enum"] != nil || schema["const"] != nil {
            return try literals(schema, keys: keys, types: types, pointer: pointer)
        }
        guard let types else { return anyValue() }
        for key in keys where key != "type" {
            guard types.contains(where: { Self.typeKeywords[$0]!.contains(key) }) else {
                throw fail("\"\(key)\" does not apply to type \(types.joined(separator: " or "))")
            }
        }
        var options: [GrammarExpression] = []
        for type in types {
            options.append(try typeExpression(type, schema, pointer: pointer))
        }
        return options.count == 1 ? options[0] : .choice(options)
    }

    /// The types of `type`, or those the keywords imply (nil: any value).
    private func declaredTypes(_ schema: SchemaValue, keys: [String], pointer: String) throws(SchemaError) -> [String]? {
        func fail(_ message: String) -> SchemaError { SchemaError(pointer: pointer, message: message) }
        switch schema["type"] {
        case .string(let name)?:
            guard Self.typeKeywords[name] != nil else {
                throw fail("unknown type \"\(name)\" (one of \(Self.typeOrder.joined(separator: ", ")))")
            }
            return [name]
        case .array(let names)?:
            var result: [String] = []
            for name in names {
                guard case .string(let text) = name, Self.typeKeywords[text] != nil else {
                    throw fail("\"type\" lists \(name.serialized()), which is not a type (one of \(Self.typeOrder.joined(separator: ", ")))")
                }
                if !result.contains(text) { result.append(text) }
            }
            guard !result.isEmpty else { throw fail("\"type\" is an empty list") }
            // An integer is a number: "number" alone covers both.
            if result.contains("number") { result.removeAll { $0 == "integer" } }
            return result
        case let other?:
            throw fail("\"type\" must be a string or a list of strings, got \(other.serialized())")
        case nil:
            let implied = Self.typeOrder.filter { type in keys.contains { Self.typeKeywords[type]!.contains($0) } }
            if implied.isEmpty { return nil }
            if implied == ["number", "integer"] { return ["number"] }
            guard implied.count == 1 else {
                throw fail("keywords of several types (\(implied.joined(separator: ", "))) without \"type\"; give \"type\"")
            }
            return implied
        }
    }

    private func literals(_ schema: SchemaValue, keys: [String], types: [String]?,
                          pointer: String) throws(SchemaError) -> GrammarExpression {
        func fail(_ message: String) -> SchemaError { SchemaError(pointer: pointer, message: message) }
        if let other = keys.first(where: { !["type", "enum", "const"].contains($0) }) {
            throw fail("\"\(other)\" beside \"enum\" or \"const\" is not supported; list only the allowed values")
        }
        var values: [SchemaValue] = []
        if let constant = schema["const"] { values.append(constant) }
        if let list = schema["enum"] {
            guard case .array(let elements) = list, !elements.isEmpty else {
                throw fail("\"enum\" must be a non-empty array")
            }
            values = schema["const"] != nil ? elements.filter { $0 == values[0] } : elements
            guard !values.isEmpty else { throw fail("\"const\" is not among the \"enum\" values: no value is allowed") }
        }
        if let types {
            for value in values where !types.contains(where: { Self.matches(value, type: $0) }) {
                throw fail("\(value.serialized()) is not of type \(types.joined(separator: " or ")), so it can never be valid")
            }
        }
        var options: [GrammarExpression] = []
        for value in values {
            let literal = GrammarExpression.literal(value.serialized())
            if !options.contains(literal) { options.append(literal) }
        }
        return options.count == 1 ? options[0] : .choice(options)
    }

    static func matches(_ value: SchemaValue, type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.array, "array"), (.object, "object"): return true
        case (.integer, "integer"), (.integer, "number"), (.number, "number"): return true
        case (.number(let x, _), "integer"): return x == x.rounded()
        default: return false
        }
    }

    private mutating func typeExpression(_ type: String, _ schema: SchemaValue,
                                         pointer: String) throws(SchemaError) -> GrammarExpression {
        switch type {
        case "null": return .literal("null")
        case "boolean": return .choice([.literal("true"), .literal("false")])
        case "string": return try stringExpression(schema, pointer: pointer)
        case "integer": return try integerExpression(schema, pointer: pointer)
        case "number": return try numberExpression(schema, pointer: pointer)
        case "array": return try arrayExpression(schema, pointer: pointer)
        default: return try objectExpression(schema, pointer: pointer)
        }
    }

    // MARK: Objects

    private mutating func objectExpression(_ schema: SchemaValue, pointer: String) throws(SchemaError) -> GrammarExpression {
        func fail(_ message: String) -> SchemaError { SchemaError(pointer: pointer, message: message) }
        var required: [String] = []
        if let list = schema["required"] {
            guard case .array(let names) = list else { throw fail("\"required\" must be an array of property names") }
            for name in names {
                guard case .string(let text) = name else { throw fail("\"required\" must list strings, got \(name.serialized())") }
                if !required.contains(text) { required.append(text) }
            }
        }
        let additional = schema["additionalProperties"]
        switch additional {
        case nil, .bool?, .object?: break
        default: throw fail("\"additionalProperties\" must be a boolean or a schema")
        }
        guard let propertiesValue = schema["properties"] else {
            if let name = required.first {
                throw fail("\"required\" names \"\(name)\" but there are no \"properties\"; describe it under \"properties\"")
            }
            switch additional {
            case .bool(false)?: return .sequence([.literal("{"), whitespace(), .literal("}")])
            case .object?:
                let value = try expression(additional!, pointer: pointer + "/additionalProperties")
                return objectOf(value)
            default: return genericObject()
            }
        }
        guard case .object(let properties) = propertiesValue else { throw fail("\"properties\" must be an object") }
        if case .object? = additional {
            // Only the declared properties are written, which every additionalProperties allows;
            // the schema is still checked.
            _ = try expression(additional!, pointer: pointer + "/additionalProperties")
        }
        for name in required where !properties.contains(where: { $0.key == name }) {
            throw fail("\"required\" names \"\(name)\", which is not in \"properties\"")
        }
        var members: [(isRequired: Bool, expression: GrammarExpression)] = []
        for property in properties {
            let value = try expression(property.value, pointer: pointer + "/properties/" + Self.escape(property.key))
            let member = GrammarExpression.sequence([.literal(SchemaValue.quoted(property.key)), whitespace(), .literal(":"),
                                                     whitespace(), value])
            members.append((required.contains(property.key), member))
        }
        // N(i, first): a non-empty run of members from i on; E(i, first): N or nothing, when
        // nothing after i is required. Built from the end so each is one rule.
        let separator = GrammarExpression.sequence([whitespace(), .literal(","), whitespace()])
        let n = members.count
        var nonEmpty: [[GrammarExpression?]] = Array(repeating: [nil, nil], count: n + 1)
        var maybeEmpty: [[GrammarExpression]] = Array(repeating: [.empty, .empty], count: n + 1)
        var requiredAfter = Array(repeating: false, count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            requiredAfter[i] = requiredAfter[i + 1] || members[i].isRequired
            for first in 0...1 {
                let lead: [GrammarExpression] = first == 1 ? [] : [separator]
                let this = GrammarExpression.sequence(lead + [members[i].expression, maybeEmpty[i + 1][0]])
                var options = [this]
                if !members[i].isRequired, let skip = nonEmpty[i + 1][first] { options.append(skip) }
                let expression: GrammarExpression = options.count == 1 ? options[0] : .rule(builder.rule(for: .choice(options)))
                nonEmpty[i][first] = expression
                maybeEmpty[i][first] = requiredAfter[i] ? expression : .rule(builder.rule(for: .choice([expression, .empty])))
            }
        }
        let open = GrammarExpression.sequence([.literal("{"), whitespace()])
        let close = GrammarExpression.sequence([whitespace(), .literal("}")])
        guard let all = nonEmpty[0][1] else { return .sequence([open, .literal("}")]) }
        if requiredAfter[0] { return .sequence([open, all, close]) }
        return .sequence([open, .choice([.literal("}"), .sequence([all, close])])])
    }

    private mutating func objectOf(_ value: GrammarExpression) -> GrammarExpression {
        let member = GrammarExpression.sequence([anyString(), whitespace(), .literal(":"), whitespace(), value])
        let more = builder.star(.sequence([whitespace(), .literal(","), whitespace(), member]))
        return .sequence([.literal("{"), whitespace(),
                          .choice([.literal("}"), .sequence([member, more, whitespace(), .literal("}")])])])
    }

    // MARK: Arrays

    private mutating func arrayExpression(_ schema: SchemaValue, pointer: String) throws(SchemaError) -> GrammarExpression {
        func fail(_ message: String) -> SchemaError { SchemaError(pointer: pointer, message: message) }
        let item: GrammarExpression
        switch schema["items"] {
        case nil: item = anyValue()
        case .array?: throw fail("\"items\" as a list (tuple validation) is not supported; use one schema for every item")
        case let value?: item = try expression(value, pointer: pointer + "/items")
        }
        let minimum = try count("minItems", schema, pointer: pointer) ?? 0
        let maximum = try count("maxItems", schema, pointer: pointer)
        if let maximum, maximum < minimum { throw fail("\"maxItems\" \(maximum) is below \"minItems\" \(minimum)") }
        let open = GrammarExpression.sequence([.literal("["), whitespace()])
        let close = GrammarExpression.sequence([whitespace(), .literal("]")])
        if maximum == 0 { return .sequence([open, .literal("]")]) }
        let separated = GrammarExpression.sequence([whitespace(), .literal(","), whitespace(), item])
        let rest = builder.repeat(separated, minimum: max(0, minimum - 1), maximum: maximum.map { $0 - 1 })
        let items = GrammarExpression.sequence([item, rest, close])
        return .sequence([open, minimum == 0 ? .choice([.literal("]"), items]) : items])
    }

    private func count(_ key: String, _ schema: SchemaValue, pointer: String) throws(SchemaError) -> Int? {
        guard let value = schema[key] else { return nil }
        let number: Int64
        switch value {
        case .integer(let x): number = x
        case .number(let x, _) where x == x.rounded() && abs(x) < 1e15: number = Int64(x)
        default: throw SchemaError(pointer: pointer, message: "\"\(key)\" must be a non-negative integer, got \(value.serialized())")
        }
        guard number >= 0 else {
            throw SchemaError(pointer: pointer, message: "\"\(key)\" must be a non-negative integer, got \(number)")
        }
        guard number <= Int64(Self.maximumCount) else {
            throw SchemaError(pointer: pointer, message: "\"\(key)\" above \(Self.maximumCount) is not supported, got \(number)")
        }
        return Int(number)
    }

    // MARK: Strings

    private mutating func stringExpression(_ schema: SchemaValue, pointer: String) throws(SchemaError) -> GrammarExpression {
        func fail(_ message: String) -> SchemaError { SchemaError(pointer: pointer, message: message) }
        let minimum = try count("minLength", schema, pointer: pointer)
        let maximum = try count("maxLength", schema, pointer: pointer)
        let pattern = schema["pattern"], format = schema["format"]
        if pattern != nil && format != nil { throw fail("\"pattern\" and \"format\" together are not supported; give one") }
        if (pattern != nil || format != nil) && (minimum != nil || maximum != nil) {
            throw fail("\"minLength\"/\"maxLength\" beside \"\(pattern != nil ? "pattern" : "format")\" is not supported; write the length into the pattern ({m,n})")
        }
        let quote = GrammarExpression.literal("\"")
        if let format {
            guard case .string(let name) = format, let source = Self.formatPattern(name) else {
                throw fail("format \(format.serialized()) is not supported (supported: \(Self.formats.joined(separator: ", ")))")
            }
            return .sequence([quote, try patternExpression(source, pointer: pointer, isFormat: true), quote])
        }
        if let pattern {
            guard case .string(let source) = pattern else { throw fail("\"pattern\" must be a string") }
            return .sequence([quote, try patternExpression(source, pointer: pointer, isFormat: false), quote])
        }
        if minimum == nil && maximum == nil { return anyString() }
        if let minimum, let maximum, maximum < minimum {
            throw fail("\"maxLength\" \(maximum) is below \"minLength\" \(minimum)")
        }
        let character = JSONStringCharacters.expression(JSONStringCharacters.any)
        return .sequence([quote, builder.repeat(character, minimum: minimum ?? 0, maximum: maximum), quote])
    }

    private mutating func patternExpression(_ source: String, pointer: String, isFormat: Bool) throws(SchemaError) -> GrammarExpression {
        let pattern: Pattern
        do {
            pattern = try Pattern.parse(source)
        } catch {
            throw SchemaError(pointer: pointer, message: "\"pattern\" \(SchemaValue.quoted(source)): \(error)")
        }
        let alternatives: [Pattern]
        if case .alternation(let options) = pattern { alternatives = options } else { alternatives = [pattern] }
        let anything = builder.star(JSONStringCharacters.expression(JSONStringCharacters.any))
        var options: [GrammarExpression] = []
        for alternative in alternatives {
            var items: [Pattern]
            if case .sequence(let list) = alternative { items = list } else { items = [alternative] }
            let anchoredStart = items.first == .startAnchor
            if anchoredStart { items.removeFirst() }
            let anchoredEnd = items.last == .endAnchor
            if anchoredEnd { items.removeLast() }
            var parts: [GrammarExpression] = anchoredStart ? [] : [anything]
            for item in items {
                parts.append(try patternPart(item, source: source, pointer: pointer))
            }
            if !anchoredEnd { parts.append(anything) }
            options.append(.sequence(parts))
        }
        return options.count == 1 ? options[0] : .choice(options)
    }

    private mutating func patternPart(_ pattern: Pattern, source: String, pointer: String) throws(SchemaError) -> GrammarExpression {
        switch pattern {
        case .characters(let set): return JSONStringCharacters.expression(set)
        case .sequence(let items):
            var parts: [GrammarExpression] = []
            for item in items { parts.append(try patternPart(item, source: source, pointer: pointer)) }
            return .sequence(parts)
        case .alternation(let options):
            var parts: [GrammarExpression] = []
            for option in options { parts.append(try patternPart(option, source: source, pointer: pointer)) }
            return .choice(parts)
        case .repetition(let inner, let minimum, let maximum):
            return builder.repeat(try patternPart(inner, source: source, pointer: pointer), minimum: minimum, maximum: maximum)
        case .startAnchor, .endAnchor:
            throw SchemaError(pointer: pointer, message: "\"pattern\" \(SchemaValue.quoted(source)): \"^\" and \"$\" are supported only at the start and end of the pattern (or of a top-level alternative)")
        }
    }

    /// Patterns for the supported formats (RFC 3339 `full-date`, `full-time`, `date-time` with
    /// real month lengths and leap years; a common form of e-mail address; RFC 4122 UUID text).
    static func formatPattern(_ name: String) -> String? {
        let year = "(000[1-9]|00[1-9]\\d|0[1-9]\\d\\d|[1-9]\\d\\d\\d)"
        let leapYear = "(\\d\\d(0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26]|0[48])00)"
        let date = "(\(year)-(0[13578]|1[02])-(0[1-9]|[12]\\d|3[01])|\(year)-(0[469]|11)-(0[1-9]|[12]\\d|30)|\(year)-02-(0[1-9]|1\\d|2[0-8])|\(leapYear)-02-29)"
        let time = "([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,6})?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)"
        let label = "[A-Za-z0-9]+(-[A-Za-z0-9]+)*"
        switch name {
        case "date": return "^\(date)$"
        case "time": return "^\(time)$"
        case "date-time": return "^\(date)T\(time)$"
        case "email": return "^[A-Za-z0-9_%+-]+(\\.[A-Za-z0-9_%+-]+)*@(\(label)\\.)+[A-Za-z]{2,24}$"
        case "uuid": return "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
        default: return nil
        }
    }

    // MARK: Numbers

    /// The bound keywords as (value, exclusive) pairs, the stricter one when both forms are given.
    private func bounds(_ schema: SchemaValue, pointer: String) throws(SchemaError) -> (low: (Double, Bool)?, high: (Double, Bool)?) {
        func number(_ key: String) throws(SchemaError) -> Double? {
            guard let value = schema[key] else { return nil }
            switch value {
            case .integer(let x): return Double(x)
            case .number(let x, _): return x
            case .bool: throw SchemaError(pointer: pointer, message: "\"\(key)\" must be a number (the boolean form of draft 4 is not supported)")
            default: throw SchemaError(pointer: pointer, message: "\"\(key)\" must be a number, got \(value.serialized())")
            }
        }
        var low: (Double, Bool)?, high: (Double, Bool)?
        if let x = try number("minimum") { low = (x, false) }
        if let x = try number("exclusiveMinimum"), low.map({ x >= $0.0 }) ?? true { low = (x, true) }
        if let x = try number("maximum") { high = (x, false) }
        if let x = try number("exclusiveMaximum"), high.map({ x <= $0.0 }) ?? true { high = (x, true) }
        for bound in [low?.0, high?.0].compactMap({ $0 }) where abs(bound) > 9e18 {
            throw SchemaError(pointer: pointer, message: "bounds beyond ±9e18 are not supported, got \(bound)")
        }
        return (low, high)
    }

    private func integerExpression(_ schema: SchemaValue, pointer: String) throws(SchemaError) -> GrammarExpression {
        let (low, high) = try bounds(schema, pointer: pointer)
        let minimum = low.map { $0.1 ? Int64(($0.0).rounded(.down)) + 1 : Int64(($0.0).rounded(.up)) }
        let maximum = high.map { $0.1 ? Int64(($0.0).rounded(.up)) - 1 : Int64(($0.0).rounded(.down)) }
        if let minimum, let maximum, minimum > maximum {
            throw SchemaError(pointer: pointer, message: "no integer lies between the bounds (\(minimum) > \(maximum))")
        }
        return IntegerRangeGrammar.expression(minimum: minimum, maximum: maximum)
    }

    private mutating func numberExpression(_ schema: SchemaValue, pointer: String) throws(SchemaError) -> GrammarExpression {
        let (low, high) = try bounds(schema, pointer: pointer)
        if low == nil && high == nil { return anyNumber() }
        for bound in [low, high].compactMap({ $0 }) where bound.0 != bound.0.rounded() {
            throw SchemaError(pointer: pointer, message: "a number bound that is not a whole number (\(bound.0)) is not supported; use whole-number bounds, or type integer")
        }
        let lowValue = low.map { Int64($0.0) }, highValue = high.map { Int64($0.0) }
        if let lowValue, let highValue, lowValue > highValue || (lowValue == highValue && (low!.1 || high!.1)) {
            throw SchemaError(pointer: pointer, message: "no number lies between the bounds")
        }
        // Integers: the bounds with exclusivity applied. A fraction I.F (F ends in 1-9, so
        // I < I.F < I + 1) is within [low, high] exactly when low <= I <= high - 1, and -I.F when
        // -high <= I <= -low - 1, whether the bounds are exclusive or not.
        var options = [IntegerRangeGrammar.expression(minimum: lowValue.map { low!.1 ? $0 + 1 : $0 },
                                                      maximum: highValue.map { high!.1 ? $0 - 1 : $0 })]
        let fraction = GrammarExpression.sequence([.literal("."), builder.repeat(.digit, minimum: 0, maximum: 14), .nonZeroDigit])
        let positiveLow = max(0, lowValue ?? 0)
        if highValue.map({ $0 - 1 >= positiveLow }) ?? true {
            options.append(.sequence([IntegerRangeGrammar.magnitudes(UInt64(positiveLow), highValue.map { UInt64($0 - 1) }), fraction]))
        }
        let negativeLow = highValue.map { $0 < 0 ? -$0 : 0 } ?? 0
        if lowValue.map({ -$0 - 1 >= negativeLow }) ?? true {
            options.append(.sequence([.literal("-"), IntegerRangeGrammar.magnitudes(UInt64(negativeLow), lowValue.map { UInt64(-$0 - 1) }), fraction]))
        }
        return .choice(options)
    }

    // MARK: Shared pieces

    private mutating func whitespace() -> GrammarExpression {
        if let whitespaceExpression { return whitespaceExpression }
        let expression = builder.repeat(.bytes(ByteSet(" \t\n\r".utf8)), minimum: 0, maximum: Self.maximumWhitespace)
        let rule = GrammarExpression.rule(builder.rule(for: expression))
        whitespaceExpression = rule
        return rule
    }

    private mutating func anyString() -> GrammarExpression {
        if let anyStringExpression { return anyStringExpression }
        let characters = builder.star(JSONStringCharacters.expression(JSONStringCharacters.any))
        let expression = GrammarExpression.rule(builder.rule(for: .sequence([.literal("\""), characters, .literal("\"")])))
        anyStringExpression = expression
        return expression
    }

    /// `-?(0|[1-9][0-9]{0,17})(.[0-9]{1,17})?([eE][+-]?[0-9]{1,3})?`: every JSON number with a
    /// bounded count of digits.
    private mutating func anyNumber() -> GrammarExpression {
        let integer = GrammarExpression.choice([.literal("0"), .sequence([.nonZeroDigit, builder.repeat(.digit, minimum: 0, maximum: 17)])])
        let fraction = GrammarExpression.optional(.sequence([.literal("."), builder.repeat(.digit, minimum: 1, maximum: 17)]))
        let exponent = GrammarExpression.optional(.sequence([.bytes(ByteSet("eE".utf8)), .optional(.bytes(ByteSet("+-".utf8))),
                                                             builder.repeat(.digit, minimum: 1, maximum: 3)]))
        return .rule(builder.rule(for: .sequence([.optional(.literal("-")), integer, fraction, exponent])))
    }

    private mutating func genericObject() -> GrammarExpression {
        objectOf(anyValue())
    }

    /// Any JSON value (recursive).
    private mutating func anyValue() -> GrammarExpression {
        if let anyValueRule { return .rule(anyValueRule) }
        let rule = builder.reserveRule()
        anyValueRule = rule
        let value = GrammarExpression.rule(rule)
        let separator = GrammarExpression.sequence([whitespace(), .literal(","), whitespace()])
        let array = GrammarExpression.sequence([
            .literal("["), whitespace(),
            .choice([.literal("]"), .sequence([value, builder.star(.sequence([separator, value])), whitespace(), .literal("]")])]),
        ])
        builder.define(rule, as: .choice([objectOf(value), array, anyString(), anyNumber(), .literal("true"),
                                          .literal("false"), .literal("null")]))
        return value
    }

    // MARK: References

    private mutating func reference(to target: String, from pointer: String) throws(SchemaError) -> Int32 {
        guard target.hasPrefix("#") else {
            throw SchemaError(pointer: pointer, message: "\"$ref\" \(SchemaValue.quoted(target)): only references inside the schema (\"#/$defs/...\") are supported")
        }
        let path = String(target.dropFirst())
        if let rule = referenceRules[path] { return rule }
        guard path.isEmpty || path.hasPrefix("/"), let schema = Self.resolve(path, in: root) else {
            throw SchemaError(pointer: pointer, message: "\"$ref\" \(SchemaValue.quoted(target)) names nothing in the schema")
        }
        let rule = builder.reserveRule()
        referenceRules[path] = rule
        builder.define(rule, as: try expression(schema, pointer: path))
        return rule
    }

    static func resolve(_ pointer: String, in root: SchemaValue) -> SchemaValue? {
        guard !pointer.isEmpty else { return root }
        var node = root
        for token in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .object: guard let next = node[key] else { return nil }; node = next
            case .array(let elements):
                guard let index = Int(key), elements.indices.contains(index) else { return nil }
                node = elements[index]
            default: return nil
            }
        }
        return node
    }

    /// A property name as a JSON pointer token (RFC 6901: `~` → `~0`, `/` → `~1`).
    static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    private static func hint(for keyword: String) -> String {
        switch keyword {
        case "oneOf": return " (use \"anyOf\": the output then matches at least one branch)"
        case "allOf": return " (merge the schemas into one)"
        case "prefixItems": return " (use one \"items\" schema)"
        case "nullable": return " (use \"type\": [\"...\", \"null\"])"
        default: return ""
        }
    }
}
