import Foundation

/// The summary `jobs stats` prints: counts, throughput and latency percentiles.
public struct QueueStats: Sendable, Equatable {
    public var counts: JobCounts
    /// From the start of the earliest finished attempt to the latest finish: the span the
    /// throughput figures are measured over. Nil before any job finished.
    public var window: TimeInterval?
    /// Finished (succeeded or failed) jobs per minute over `window`.
    public var jobsPerMinute: Double?
    /// Completion tokens of succeeded jobs per second over `window`: aggregate throughput.
    public var tokensPerSecond: Double?
    /// Percentiles over succeeded jobs, in seconds; nil when there are none.
    public var queueWait: Percentiles?
    public var timeToFirstToken: Percentiles?
    public var totalTime: Percentiles?
}

/// Nearest-rank percentiles of a sample.
public struct Percentiles: Sendable, Equatable {
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var count: Int

    /// Nil for an empty sample. `sorted` must be in ascending order.
    public init?(sorted: [Double]) {
        guard !sorted.isEmpty else { return nil }
        func rank(_ p: Double) -> Double {
            let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[min(max(index, 0), sorted.count - 1)]
        }
        p50 = rank(0.50)
        p95 = rank(0.95)
        p99 = rank(0.99)
        count = sorted.count
    }
}
