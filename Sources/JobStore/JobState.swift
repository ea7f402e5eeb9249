/// Where a job is in its life: `queued` → `running` (leased by a daemon) → `succeeded` or
/// `failed`; `cancelled` by a user from `queued` or `running`. Retrying a failed or cancelled
/// job puts it back to `queued`; a retryable failure with attempts left also goes back to
/// `queued`, not claimable before its backoff ends.
public enum JobState: String, CaseIterable, Sendable, Comparable {
    case queued, running, succeeded, failed, cancelled

    /// No daemon will touch the job again unless a user retries it.
    public var isFinished: Bool {
        switch self {
        case .queued, .running: return false
        case .succeeded, .failed, .cancelled: return true
        }
    }

    /// For messages: "job 42 has already succeeded".
    var pastTense: String {
        switch self {
        case .queued: return "been queued"
        case .running: return "been started"
        case .succeeded: return "succeeded"
        case .failed: return "failed"
        case .cancelled: return "been cancelled"
        }
    }

    public static func < (lhs: JobState, rhs: JobState) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
