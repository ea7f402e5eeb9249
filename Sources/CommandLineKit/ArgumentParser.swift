/// Reads a command line against a `CommandSpec`: `--name value`, `--name=value`, `-o value`,
/// flags, positionals, and `--` to end options. A lone `-` is a positional (standard input).
/// Every mistake is a `CLIError.usage` naming the command, with a hint where one helps.
public enum ArgumentParser {
    public static func parse(_ arguments: [String], spec: CommandSpec) throws -> ParsedArguments {
        var parsed = ParsedArguments(command: spec.name)
        var index = 0
        var optionsEnded = false
        func usage(_ message: String) -> CLIError { .usage(command: spec.name, message: message) }

        func store(_ option: OptionSpec, value: String?, spelled: String) throws {
            if option.isFlag {
                guard value == nil else { throw usage("\(spelled) takes no value") }
                parsed.flags.insert(option.name)
                return
            }
            guard let value else {
                throw usage("\(spelled) needs a value (\(option.valueName ?? "VALUE"))")
            }
            if !option.isRepeatable, parsed.options[option.name] != nil {
                throw usage("\(spelled) is given more than once")
            }
            parsed.options[option.name, default: []].append(value)
        }

        /// The next argument as the value of `spelled`, if there is one.
        func nextValue() -> String? {
            guard index + 1 < arguments.count else { return nil }
            index += 1
            return arguments[index]
        }

        while index < arguments.count {
            let argument = arguments[index]
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                parsed.positionals.append(argument)
            } else if argument == "--" {
                optionsEnded = true
            } else if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name = String(body.split(separator: "=", maxSplits: 1)[0])
                let inlineValue = body.contains("=") ? String(body.split(separator: "=", maxSplits: 1,
                    omittingEmptySubsequences: false)[1]) : nil
                guard let option = spec.option(named: name) else {
                    throw usage("unknown option --\(name)" + suggestion(for: name, in: spec))
                }
                let value = inlineValue ?? (option.isFlag ? nil : nextValue())
                try store(option, value: value, spelled: "--\(name)")
            } else {
                // -o FILE, -oFILE, -h
                let letters = argument.dropFirst()
                guard let letter = letters.first, let option = spec.option(short: letter) else {
                    throw usage("unknown option \(argument)")
                }
                let rest = letters.dropFirst()
                let value: String? = if option.isFlag {
                    rest.isEmpty ? nil : String(rest)
                } else {
                    rest.isEmpty ? nextValue() : String(rest)
                }
                try store(option, value: value, spelled: "-\(letter)")
            }
            index += 1
        }

        if parsed.flag("help") { return parsed }
        for option in spec.options where option.isRequired && parsed.options[option.name] == nil {
            throw usage("missing --\(option.name) \(option.valueName ?? "")".trimmingCharacters(in: .whitespaces))
        }
        let required = spec.arguments.filter { !$0.isOptional }.count
        if parsed.positionals.count < required {
            throw usage("missing \(spec.arguments[parsed.positionals.count].name)")
        }
        if parsed.positionals.count > spec.arguments.count {
            let extra = parsed.positionals[spec.arguments.count]
            throw usage("unexpected argument '\(extra)'")
        }
        return parsed
    }

    /// " (did you mean --batch?)" when a known option is a small edit away.
    private static func suggestion(for name: String, in spec: CommandSpec) -> String {
        let closest = spec.allOptions.map { ($0.name, editDistance($0.name, name)) }.min { $0.1 < $1.1 }
        guard let (match, distance) = closest, distance <= max(2, name.count / 3) else { return "" }
        return " (did you mean --\(match)?)"
    }

    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1,
                                 previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// What the parser found: option values by long name, flags, and positionals in order.
public struct ParsedArguments: Sendable {
    public var command: String
    public var options: [String: [String]] = [:]
    public var flags: Set<String> = []
    public var positionals: [String] = []

    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The option's value (the last one, for repeatable options use `values`).
    public func value(_ name: String) -> String? { options[name]?.last }

    public func values(_ name: String) -> [String] { options[name] ?? [] }

    public func positional(_ index: Int) -> String? {
        index < positionals.count ? positionals[index] : nil
    }

    /// The option as an integer in `range`, or a usage error naming it.
    public func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw CLIError.usage(command: command,
                                 message: "--\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }

    /// The option as a positive number of seconds, or a usage error naming it.
    public func seconds(_ name: String) throws -> Double? {
        guard let text = value(name) else { return nil }
        guard let number = Double(text), number > 0, number.isFinite else {
            throw CLIError.usage(command: command,
                                 message: "--\(name) must be a positive number of seconds, got '\(text)'")
        }
        return number
    }
}
