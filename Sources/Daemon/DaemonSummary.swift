/// What one daemon did between start and stop.
public struct DaemonSummary: Sendable, Equatable {
    public enum Exit: String, Sendable {
        /// Still running (the summary of a daemon that has not stopped).
        case none
        /// `--drain`: nothing was left to do.
        case drained
        /// A shutdown request was handled.
        case shutdown
    }

    public var exit = Exit.none
    public var succeeded = 0
    public var failed = 0
    public var retried = 0
    public var reused = 0
    /// Released at shutdown.
    public var released = 0
    public var leasesLost = 0
    /// Engine steps with a forward pass.
    public var steps = 0

    public init() {}
}
