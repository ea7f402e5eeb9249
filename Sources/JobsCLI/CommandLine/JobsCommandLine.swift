import CommandLineKit
import Foundation
import JobStore

/// The `jobs` command line: `jobs [--db PATH] COMMAND [ARGUMENTS]`.
///
/// Exit codes: 0 success, 1 user error (bad input, unknown id, database problem), 2 usage error.
/// Errors go to standard error.
public enum JobsCommandLine {
    /// Every subcommand, in the order `jobs --help` lists them. Adding one is adding a line.
    static var commands: [any JobsCommand.Type] { [
        SubmitCommand.self,
        ListCommand.self,
        ShowCommand.self,
        CancelCommand.self,
        RetryCommand.self,
        WaitCommand.self,
        ResultsCommand.self,
        StatsCommand.self,
        ReportCommand.self,
        PruneCommand.self,
        DoctorCommand.self,
        GenerateCommand.self,
        PerplexityCommand.self,
        BenchCommand.self,
    ] }

    /// Runs one command line. `arguments` excludes the program name.
    public static func main(_ arguments: [String],
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            console: Console = .standard(),
                            clock: CommandClock = .system) -> Int32 {
        defer {
            console.output.flush()
            console.errors.flush()
        }
        do {
            try run(arguments, environment: environment, console: console, clock: clock)
            return ExitCode.success.rawValue
        } catch let error as CLIError {
            report(error, console: console)
            return error.exitCode.rawValue
        } catch {
            console.errors.line("jobs: " + TextFormat.visibleLine("\(error)"))
            return ExitCode.userError.rawValue
        }
    }

    private static func run(_ arguments: [String], environment: [String: String],
                            console: Console, clock: CommandClock) throws {
        // Global options may come before the command name.
        var remaining = arguments[...]
        var leading: [String] = []
        while let first = remaining.first, first.hasPrefix("-"), first != "-" {
            leading.append(first)
            remaining = remaining.dropFirst()
            if first == "--db" || first == "--busy-timeout", let value = remaining.first {
                leading.append(value)
                remaining = remaining.dropFirst()
            }
        }
        let globals = try ArgumentParser.parse(leading, spec: CommandSpec(name: "", summary: ""))
        guard var name = remaining.first else {
            if globals.flag("help") {
                console.output.write(overview)
                return
            }
            console.errors.write(overview)
            throw CLIError.usage(command: nil, message: "")
        }
        var rest = Array(remaining.dropFirst())
        if name == "help" {
            guard let topic = rest.first else {
                console.output.write(overview)
                return
            }
            (name, rest) = (topic, ["--help"])
        }
        guard let command = commands.first(where: { $0.spec.name == name }) else {
            throw CLIError.usage(command: nil, message: "unknown command '\(name)'" + suggestion(for: name))
        }
        let parsed = try ArgumentParser.parse(leading + rest, spec: command.spec)
        if parsed.flag("help") {
            console.output.write(command.spec.help)
            return
        }
        let instance = try command.init(parsed)
        try instance.validate()
        let context = CommandContext(console: console, environment: environment, clock: clock,
                                     databaseOption: parsed.value("db"),
                                     busyTimeoutOption: parsed.value("busy-timeout"))
        do {
            try instance.run(context)
        } catch let error as JobStoreError {
            throw CLIError.user(error.description)
        }
    }

    /// `jobs --help`.
    static var overview: String {
        var text = """
            jobs: queue prompts for local batch generation, and inspect the results.

            Usage: jobs [--db PATH] COMMAND [ARGUMENTS]

            Commands:

            """
        text += HelpTable.render(commands.filter { !$0.spec.isHidden }.map { ($0.spec.name, $0.spec.summary) })
        text += "\nGlobal options:\n"
        text += HelpTable.render(CommandSpec.globalOptions.map { ($0.signature, $0.help) })
        text += """

            Run 'jobs COMMAND --help' (or 'jobs help COMMAND') for a command's options.
            Exit codes: 0 success, 1 bad input or unknown job, 2 wrong command line.

            """
        return text
    }

    private static func report(_ error: CLIError, console: Console) {
        switch error {
        case .usage(let commandName, let message):
            let command = commands.first { $0.spec.name == commandName }
            if !message.isEmpty {
                console.errors.line("jobs\(command.map { " " + $0.spec.name } ?? ""): " + TextFormat.visibleLine(message))
            }
            if let command {
                console.errors.line("Usage: \(command.spec.usageLine)")
                console.errors.line("Run 'jobs \(command.spec.name) --help' for details.")
            } else if !message.isEmpty {
                console.errors.line("Run 'jobs --help' for the list of commands.")
            }
        case .user(let message):
            // Messages quote what they were given (a batch name, an option's value, a file
            // name), which may hold escape sequences: shown, not run by the terminal.
            console.errors.line("jobs: " + TextFormat.visibleLine(message))
        }
    }

    private static func suggestion(for name: String) -> String {
        let closest = commands.map { ($0.spec.name, ArgumentParser.editDistance($0.spec.name, name)) }
            .min { $0.1 < $1.1 }
        guard let (match, distance) = closest, distance <= 2 else { return "" }
        return " (did you mean '\(match)'?)"
    }
}
