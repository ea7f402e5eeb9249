/// How much `jobsd` logs (`--log-level`): each level includes the ones above it.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// Every step and lease renewal: for following one job through the daemon.
    case debug
    /// Start, claims, finishes, failures, retries, shutdown.
    case info
    /// Trouble the daemon works around (a locked database, a lost lease).
    case warn
    /// Trouble that needs a person (a read-only database, a full disk).
    case error

    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = level
    }

    public var description: String {
        switch self {
        case .debug: return "debug"
        case .info: return "info"
        case .warn: return "warn"
        case .error: return "error"
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}
