/// The specification of one subcommand: its name, what it does, its arguments and options.
/// The parser reads arguments against it and `--help` is generated from it, so the help text is
/// the specification users see.
public struct CommandSpec: Sendable {
    public var name: String
    /// One line, shown in `jobs --help`.
    public var summary: String
    /// Paragraphs shown under the usage line in `jobs NAME --help`.
    public var discussion: String = ""
    public var arguments: [ArgumentSpec] = []
    public var options: [OptionSpec] = []
    public var examples: [String] = []
    /// Left out of `jobs --help` (tools for developers).
    public var isHidden = false

    public init(name: String, summary: String, discussion: String = "", arguments: [ArgumentSpec] = [],
                options: [OptionSpec] = [], examples: [String] = [], isHidden: Bool = false) {
        self.name = name
        self.summary = summary
        self.discussion = discussion
        self.arguments = arguments
        self.options = options
        self.examples = examples
        self.isHidden = isHidden
    }

    /// Options every command accepts, before or after its name.
    public static let globalOptions = [
        OptionSpec(name: "db", valueName: "PATH",
                   help: "database file (default: $JOBS_DB, else $XDG_DATA_HOME/jobs/jobs.db, else ~/.local/share/jobs/jobs.db)"),
        OptionSpec(name: "busy-timeout", valueName: "SECONDS",
                   help: "how long a command that writes waits for a lock another process holds before it fails (default: $JOBS_BUSY_TIMEOUT, else 60); reading never waits"),
        OptionSpec(name: "help", short: "h", help: "show this help"),
    ]

    public var allOptions: [OptionSpec] { options + CommandSpec.globalOptions }

    public func option(named name: String) -> OptionSpec? { allOptions.first { $0.name == name } }

    public func option(short: Character) -> OptionSpec? { allOptions.first { $0.short == short } }

    /// `jobs submit FILE [--batch NAME] ...`
    public var usageLine: String {
        var parts = ["jobs", name]
        for argument in arguments {
            parts.append(argument.isOptional ? "[\(argument.name)]" : argument.name)
        }
        for option in options {
            let value = option.valueName.map { " \($0)" } ?? ""
            parts.append(option.isRequired ? "--\(option.name)\(value)" : "[--\(option.name)\(value)]")
        }
        return parts.joined(separator: " ")
    }

    public var help: String {
        var text = "jobs \(name): \(summary)\n\nUsage: \(usageLine)\n"
        if !discussion.isEmpty { text += "\n\(discussion)\n" }
        if !arguments.isEmpty {
            text += "\nArguments:\n"
            text += HelpTable.render(arguments.map { ($0.name, $0.help) })
        }
        if !options.isEmpty {
            text += "\nOptions:\n"
            text += HelpTable.render(options.map { ($0.signature, $0.help) })
        }
        text += "\nGlobal options:\n"
        text += HelpTable.render(CommandSpec.globalOptions.map { ($0.signature, $0.help) })
        if !examples.isEmpty {
            text += "\nExamples:\n" + examples.map { "  \($0)\n" }.joined()
        }
        return text
    }
}

/// A positional argument.
public struct ArgumentSpec: Sendable {
    public var name: String
    public var help: String
    public var isOptional = false

    public init(name: String, help: String, isOptional: Bool = false) {
        self.name = name
        self.help = help
        self.isOptional = isOptional
    }
}

/// A `--name` option: a flag when `valueName` is nil, else it takes one value.
public struct OptionSpec: Sendable {
    public var name: String
    public var short: Character?
    /// Placeholder in help (`PATH`, `N`); nil makes the option a flag.
    public var valueName: String?
    public var help: String
    public var isRequired = false
    /// May be given several times; every value is kept.
    public var isRepeatable = false

    public init(name: String, short: Character? = nil, valueName: String? = nil, help: String,
         isRequired: Bool = false, isRepeatable: Bool = false) {
        self.name = name
        self.short = short
        self.valueName = valueName
        self.help = help
        self.isRequired = isRequired
        self.isRepeatable = isRepeatable
    }

    public var isFlag: Bool { valueName == nil }

    /// `-o, --output FILE`
    public var signature: String {
        let short = self.short.map { "-\($0), " } ?? ""
        return short + "--\(name)" + (valueName.map { " \($0)" } ?? "")
    }
}

/// Two-column help text, wrapped to 100 columns.
public enum HelpTable {
    public static func render(_ rows: [(String, String)]) -> String {
        let width = min(max(rows.map(\.0.count).max() ?? 0, 8), 24) + 2
        var text = ""
        for (left, right) in rows {
            var line = "  " + left
            if left.count + 2 > width {
                text += line + "\n"
                line = String(repeating: " ", count: width + 2)
            } else {
                line += String(repeating: " ", count: width - left.count)
            }
            let wrapped = wrap(right, width: 100 - width - 2)
            text += line + wrapped.joined(separator: "\n" + String(repeating: " ", count: width + 2)) + "\n"
        }
        return text
    }

    public static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += current.isEmpty ? String(word) : " " + word
        }
        lines.append(current)
        return lines
    }
}
