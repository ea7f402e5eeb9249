import Foundation

/// How long one database operation waits for a lock another process holds: `--busy-timeout
/// SECONDS`, else `$JOBS_BUSY_TIMEOUT`, else the command's default (60 s for `jobs`, whose
/// writers then fail with a message; 1 s for `jobsd`, which keeps generating and retries with
/// backoff, never giving up). Readers never wait for a writer (WAL), whatever the setting.
public enum BusyTimeout {
    public static let environmentVariable = "JOBS_BUSY_TIMEOUT"

    /// Seconds, at least 0 (0: fail at once when the lock is taken). `command` names the
    /// program in usage errors.
    public static func resolve(option: String?, environment: [String: String], command: String?,
                        default defaultSeconds: TimeInterval) throws -> TimeInterval {
        if let option {
            guard let seconds = parse(option) else {
                throw CLIError.usage(command: command,
                                     message: "--busy-timeout must be a number of seconds from 0 to 86400, got '\(option)'")
            }
            return seconds
        }
        if let text = environment[environmentVariable], !text.isEmpty {
            guard let seconds = parse(text) else {
                throw CLIError.user("\(environmentVariable) must be a number of seconds from 0 to 86400, got '\(text)'")
            }
            return seconds
        }
        return defaultSeconds
    }

    private static func parse(_ text: String) -> TimeInterval? {
        guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite,
              (0...86_400).contains(seconds) else { return nil }
        return seconds
    }
}
