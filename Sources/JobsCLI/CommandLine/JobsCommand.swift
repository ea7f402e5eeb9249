import CommandLineKit

/// One `jobs` subcommand. The parser turns the command line into `ParsedArguments` using
/// `spec`; `init` reads the values (a malformed value is a usage error), `validate` checks them
/// together before anything touches the database, and `run` does the work.
protocol JobsCommand {
    static var spec: CommandSpec { get }
    init(_ arguments: ParsedArguments) throws
    func validate() throws
    func run(_ context: CommandContext) throws
}

extension JobsCommand {
    func validate() throws {}

    /// A usage error for this command.
    func usageError(_ message: String) -> CLIError {
        .usage(command: Self.spec.name, message: message)
    }
}
