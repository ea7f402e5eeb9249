/// A strict logfmt reader for the tests: `key=value` pairs separated by single spaces, values
/// bare or double-quoted with `\"`, `\\`, `\n`, `\r`, `\t`, `\uXXXX` escapes. Throws on anything else, so
/// a test that parses every line also checks the format.
enum Logfmt {
    struct Malformed: Error, CustomStringConvertible {
        let line: String
        let reason: String
        var description: String { "malformed logfmt (\(reason)): \(line)" }
    }

    static func parse(_ line: String) throws -> [String: String] {
        var fields: [String: String] = [:]
        var rest = Substring(line)
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "=") else { throw Malformed(line: line, reason: "key without value") }
            let key = String(rest[..<equals])
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw Malformed(line: line, reason: "bad key '\(key)'")
            }
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\"" { closed = true; break }
                    if character == "\\" {
                        guard let escaped = rest.first else { break }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "n": value.append("\n")
                        case "r": value.append("\r")
                        case "t": value.append("\t")
                        case "\"", "\\": value.append(escaped)
                        case "u":
                            guard let code = UInt32(String(rest.prefix(4)), radix: 16), let scalar = Unicode.Scalar(code) else {
                                throw Malformed(line: line, reason: "bad \\u escape")
                            }
                            value.unicodeScalars.append(scalar)
                            rest = rest.dropFirst(4)
                        default: throw Malformed(line: line, reason: "unknown escape \\\(escaped)")
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { throw Malformed(line: line, reason: "unterminated quote") }
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                value = String(rest[..<end])
                guard !value.contains("\"") else { throw Malformed(line: line, reason: "quote inside bare value") }
                rest = rest[end...]
            }
            guard fields[key] == nil else { throw Malformed(line: line, reason: "duplicate key \(key)") }
            fields[key] = value
            if rest.first == " " {
                rest = rest.dropFirst()
                guard !rest.isEmpty, rest.first != " " else { throw Malformed(line: line, reason: "stray space") }
            } else if !rest.isEmpty {
                throw Malformed(line: line, reason: "no space after a value")
            }
        }
        return fields
    }
}
