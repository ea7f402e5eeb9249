import Foundation

/// How the daemon works the queue (the command line's non-engine options). Durations in seconds.
public struct DaemonConfiguration: Sendable, Equatable {
    /// The lease owner name written on claimed jobs and shown in logs.
    public var owner: String
    /// Lease length (`--lease-seconds`); renewed every third of it.
    public var leaseSeconds: TimeInterval
    /// Cap on attempts for jobs that fail while running (`--max-attempts`); nil: each job's own
    /// limit from `jobs submit --max-attempts`. The lower of the two wins.
    public var maxAttempts: Int?
    /// Dynamic batching (`--max-wait-ms`): after jobs arrive at an idle engine, keep claiming
    /// for up to this long (or until every sequence slot is taken) before the first step.
    public var maxWait: TimeInterval
    /// How often an idle daemon looks for jobs.
    public var pollInterval: TimeInterval
    /// Exit once nothing is queued or running (`--drain`).
    public var drain: Bool
    /// Answer deterministic requests identical to an earlier succeeded one from its result
    /// (`--reuse-results`).
    public var reuseResults: Bool
    /// After the first SIGTERM/SIGINT, how long in-flight jobs may run before they are released
    /// (`--shutdown-grace`).
    public var shutdownGrace: TimeInterval
    /// Length of the intervals written to `engine_samples` while the engine works.
    public var sampleInterval: TimeInterval
    /// How often the per-state job counts (metrics) are read from the database.
    public var countsInterval: TimeInterval
    /// Token-level resume: save a running job's generation state once it has this many new
    /// tokens (`--checkpoint-tokens`), so a job taken back after a crash loses at most this
    /// many; nil writes no checkpoints and resumes from none (`--no-checkpoints`).
    public var checkpointTokens: Int?
    /// ... or once this many seconds have passed since the last checkpoint
    /// (`--checkpoint-interval`), whichever comes first.
    public var checkpointInterval: TimeInterval

    public init(owner: String = OwnerName.make(), leaseSeconds: TimeInterval = 60, maxAttempts: Int? = nil,
                maxWait: TimeInterval = 0.05, pollInterval: TimeInterval = 0.2, drain: Bool = false,
                reuseResults: Bool = false, shutdownGrace: TimeInterval = 30, sampleInterval: TimeInterval = 1,
                countsInterval: TimeInterval = 5, checkpointTokens: Int? = 32, checkpointInterval: TimeInterval = 10) {
        precondition(checkpointTokens.map { $0 >= 1 } ?? true && checkpointInterval > 0, "invalid checkpoint settings")
        self.checkpointTokens = checkpointTokens
        self.checkpointInterval = checkpointInterval
        precondition(leaseSeconds > 0 && pollInterval > 0 && maxWait >= 0 && shutdownGrace >= 0
                     && sampleInterval > 0 && countsInterval > 0, "invalid daemon configuration")
        precondition(maxAttempts.map { $0 >= 1 } ?? true, "maxAttempts must be at least 1")
        self.owner = owner
        self.leaseSeconds = leaseSeconds
        self.maxAttempts = maxAttempts
        self.maxWait = maxWait
        self.pollInterval = pollInterval
        self.drain = drain
        self.reuseResults = reuseResults
        self.shutdownGrace = shutdownGrace
        self.sampleInterval = sampleInterval
        self.countsInterval = countsInterval
    }
}
