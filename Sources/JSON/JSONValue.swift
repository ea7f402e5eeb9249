/// A JSON value, as read from one line of a batch file or built for output. Objects keep their
/// members in order (output is deterministic, which the request hash relies on) and integers
/// stay apart from other numbers; a number read from input keeps its text, so an error message
/// quotes it as written (`8.0`, `18446744073709551615`).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in 64 bits.
    case integer(Int64)
    /// A number built for output.
    case double(Double)
    /// A number read from input that is not an `integer`: with a fraction or an exponent
    /// (`8.0`, `1e2`), or an integer beyond 64 bits. `written` is its text in the input.
    case number(Double, written: String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The value of `key` in an object; nil for other values and missing keys.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Describes the value for error messages: `-5`, `"abc"`, `an array`.
    public var summary: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return String(value)
        case .integer(let value): return String(value)
        case .double(let value): return JSONValue.format(value)
        case .number(_, let written): return written
        case .string(let value):
            let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
            return JSONValue.string(shown).serialized()
        case .array(let items): return items.isEmpty ? "an empty array" : "an array"
        case .object: return "an object"
        }
    }

    /// Compact JSON text (no spaces), non-ASCII characters written as UTF-8.
    public func serialized() -> String {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    public func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output.append(contentsOf: (value ? "true" : "false").utf8)
        case .integer(let value): output.append(contentsOf: String(value).utf8)
        case .double(let value): output.append(contentsOf: JSONValue.format(value).utf8)
        case .number(_, let written): output.append(contentsOf: written.utf8)
        case .string(let value): JSONValue.writeString(value, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSONValue.writeString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                member.value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Shortest text that reads back as the same double; integral values print without a
    /// fraction (`1`, not `1.0`). JSON has no infinities or NaN: those print as `null`.
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Writes `text` quoted, copying runs of plain bytes at once (prompts are long and rarely
    /// need escapes). Besides what JSON requires (quote, backslash, U+0000-U+001F), the rest of
    /// `Unicode.Scalar.isTerminalControl` (DEL, the C1 controls U+0080-U+009F, the bidirectional
    /// embedding, override and isolate controls U+202A-U+202E and U+2066-U+2069) and the line and
    /// paragraph separators (U+2028, U+2029) are written as `\uXXXX`, matched on their UTF-8
    /// bytes: the same text to a parser, but output that reaches a terminal (`jobs results`,
    /// `--json`) cannot move its cursor or reorder what it draws.
    private static func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                let length = escapedLength(bytes, at: index)
                guard length > 0 else {
                    index += 1
                    continue
                }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                if length == 1 {
                    appendEscape(of: byte, to: &output)
                } else {
                    // A two- or three-byte UTF-8 sequence: its scalar as \uXXXX.
                    let scalar = length == 2 ? (UInt32(byte & 0x1F) << 6) | UInt32(bytes[index + 1] & 0x3F)
                        : (UInt32(byte & 0x0F) << 12) | (UInt32(bytes[index + 1] & 0x3F) << 6) | UInt32(bytes[index + 2] & 0x3F)
                    appendUnicodeEscape(scalar, to: &output)
                }
                index += length
                runStart = index
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Bytes of the sequence at `index` that is written escaped, or 0 to copy the byte as it is.
    @inline(__always)
    private static func escapedLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let byte = bytes[index]
        if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F { return 1 }
        if byte == 0xC2, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) { return 2 }
        if byte == 0xE2, index + 2 < bytes.count {
            let second = bytes[index + 1], third = bytes[index + 2]
            if second == 0x80 && (0xA8...0xAE).contains(third) { return 3 }  // U+2028-U+202E
            if second == 0x81 && (0xA6...0xA9).contains(third) { return 3 }  // U+2066-U+2069
        }
        return 0
    }

    private static func appendEscape(of byte: UInt8, to output: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
        case UInt8(ascii: "\n"): output.append(contentsOf: #"\n"#.utf8)
        case UInt8(ascii: "\r"): output.append(contentsOf: #"\r"#.utf8)
        case UInt8(ascii: "\t"): output.append(contentsOf: #"\t"#.utf8)
        default: appendUnicodeEscape(UInt32(byte), to: &output)
        }
    }

    private static func appendUnicodeEscape(_ scalar: UInt32, to output: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        output.append(contentsOf: #"\u"#.utf8)
        for shift in stride(from: 12, through: 0, by: -4) { output.append(hex[Int((scalar >> UInt32(shift)) & 0xF)]) }
    }
}

/// One `"key": value` pair of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue {
    public static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    public static func optional(_ value: Double?) -> JSONValue { value.map(JSONValue.double) ?? .null }

    public static func int(_ value: Int) -> JSONValue { .integer(Int64(value)) }

    /// The value as a 64-bit integer when it is one, written with a fraction or an exponent or
    /// not (`8`, `8.0`, `8e0`; files written by pandas and many JSON libraries use `8.0`).
    public var integralValue: Int64? {
        switch self {
        case .integer(let value): return value
        case .number(let value, _): return value == value.rounded() ? Int64(exactly: value) : nil
        default: return nil
        }
    }

    /// The value as a number, integer or not.
    public var numberValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value, _), .double(let value): return value
        default: return nil
        }
    }
}
