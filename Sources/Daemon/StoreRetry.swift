/// The retry schedule of one kind of database work the daemon never gives up on (opening the
/// database, claiming, renewing leases, writing outcomes). After a failure the next attempt
/// waits `delay`, which doubles from `initial` up to `maximum`; a success resets it.
///
/// It also decides which failures are worth a log line, so a database locked or full for an
/// hour does not flood the log: the first, then one every `reminderInterval` seconds while the
/// failures last. Times are seconds of `MonotonicClock`.
struct StoreRetry {
    let initial: Double
    let maximum: Double
    let reminderInterval: Double
    /// The wait before the next attempt; 0 while the work succeeds.
    private(set) var delay = 0.0
    /// When the current run of failures began; nil while the work succeeds.
    private(set) var failingSince: Double?
    private(set) var nextAttemptAt = 0.0
    private var lastReportAt: Double?

    init(initial: Double, maximum: Double, reminderInterval: Double = 30) {
        precondition(initial > 0 && maximum >= initial && reminderInterval > 0, "invalid retry schedule")
        self.initial = initial
        self.maximum = maximum
        self.reminderInterval = reminderInterval
    }

    var isFailing: Bool { failingSince != nil }

    /// Whether the work may be tried at `now` (always, unless it failed and is backing off).
    func isDue(_ now: Double) -> Bool { now >= nextAttemptAt }

    /// Seconds since the failures began.
    func waited(_ now: Double) -> Double { failingSince.map { now - $0 } ?? 0 }

    /// Records a failure at `now` and schedules the next attempt. Returns whether to log it.
    mutating func failed(at now: Double) -> Bool {
        if failingSince == nil { failingSince = now }
        delay = min(maximum, max(initial, delay * 2))
        nextAttemptAt = now + delay
        if let last = lastReportAt, now - last < reminderInterval { return false }
        lastReportAt = now
        return true
    }

    /// Records a success at `now`. Returns how long the work had been failing, nil if it was
    /// not.
    mutating func succeeded(at now: Double) -> Double? {
        defer {
            delay = 0
            failingSince = nil
            lastReportAt = nil
            nextAttemptAt = 0
        }
        return failingSince.map { now - $0 }
    }
}
