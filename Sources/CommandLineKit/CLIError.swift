/// Why a command stopped. Each case maps to an exit code; messages go to standard error.
public enum CLIError: Error, CustomStringConvertible {
    /// The command line itself is wrong (exit 2); `command` selects the usage line shown.
    case usage(command: String?, message: String)
    /// The input or the state is wrong: bad file, unknown id, nothing to do (exit 1).
    case user(String)

    public var description: String {
        switch self {
        case .usage(_, let message), .user(let message): return message
        }
    }

    public var exitCode: ExitCode {
        switch self {
        case .usage: return .usage
        case .user: return .userError
        }
    }
}

/// The process exit codes of `jobs`.
public enum ExitCode: Int32, Sendable {
    case success = 0
    /// Bad input, unknown id, a database problem.
    case userError = 1
    /// The command line is malformed (unknown option, missing argument).
    case usage = 2
}
