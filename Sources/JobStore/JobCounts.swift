/// How many jobs are in each state (of one batch, or of the whole database), and how many
/// tokens the succeeded ones generated: what `jobs wait` polls.
public struct JobCounts: Sendable, Equatable {
    public var queued = 0
    public var running = 0
    public var succeeded = 0
    public var failed = 0
    public var cancelled = 0
    /// Sum of completion tokens over succeeded jobs.
    public var completionTokens = 0
    /// Running jobs whose lease has expired: their daemon stopped renewing it (crashed or
    /// stopped), and the next claim will put them back in the queue.
    public var expiredLeases = 0

    public init() {}

    public var total: Int { queued + running + succeeded + failed + cancelled }
    public var finished: Int { succeeded + failed + cancelled }
    /// Nothing left to run (also true for an empty selection).
    public var isComplete: Bool { queued == 0 && running == 0 }

    public subscript(state: JobState) -> Int {
        get {
            switch state {
            case .queued: return queued
            case .running: return running
            case .succeeded: return succeeded
            case .failed: return failed
            case .cancelled: return cancelled
            }
        }
        set {
            switch state {
            case .queued: queued = newValue
            case .running: running = newValue
            case .succeeded: succeeded = newValue
            case .failed: failed = newValue
            case .cancelled: cancelled = newValue
            }
        }
    }
}
