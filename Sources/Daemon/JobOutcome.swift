import JobStore

/// A job in the engine.
struct RunningJob {
    let job: ClaimedJob
    /// `MonotonicClock` time of the claim.
    let claimedAt: Double
}

/// What happened to a job, waiting to be written.
struct JobOutcome {
    enum Kind {
        case succeeded(JobResult)
        case failed(message: String, retryable: Bool)
    }

    let job: ClaimedJob
    let claimedAt: Double
    let kind: Kind
}
