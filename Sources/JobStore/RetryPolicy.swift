import Foundation

/// Exponential backoff for retryable failures: attempt n failed → wait
/// `min(maximumDelay, baseDelay × 2^(n−1))` before the job is claimable again.
public struct RetryPolicy: Sendable, Equatable {
    public var baseDelay: TimeInterval
    public var maximumDelay: TimeInterval

    public init(baseDelay: TimeInterval = 10, maximumDelay: TimeInterval = 600) {
        precondition(baseDelay >= 0 && maximumDelay >= baseDelay, "invalid retry policy")
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    public static let `default` = RetryPolicy()

    /// The delay after failed attempt `attempt` (1-based).
    public func delay(afterAttempt attempt: Int) -> TimeInterval {
        let exponent = Double(max(attempt - 1, 0))
        return min(maximumDelay, baseDelay * pow(2, min(exponent, 62)))
    }
}

/// What `JobStore.fail` did.
public enum FailOutcome: Sendable, Equatable {
    /// Back in the queue, claimable from the given time.
    case willRetry(at: Date)
    /// Failed for good (not retryable, or out of attempts).
    case failed
    /// The lease was no longer the caller's (expired, stolen or cancelled): nothing written.
    case leaseLost
}
