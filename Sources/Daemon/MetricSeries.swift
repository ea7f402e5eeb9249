import Synchronization

/// One series of a family; written by the registry.
protocol MetricSeries: Sendable {
    var name: String { get }
    var help: String { get }
    var type: String { get }
    var labels: [(String, String)] { get }
    func write(to text: inout String)
}

extension MetricSeries {
    var labelText: String { MetricsRegistry.labelText(labels) }
}

/// A value that only goes up (events, tokens, seconds); names end in `_total`.
public final class Counter: MetricSeries {
    public let name: String
    let help: String
    let labels: [(String, String)]
    let type = "counter"
    private let current = Mutex<Double>(0)

    init(name: String, help: String, labels: [(String, String)]) {
        self.name = name
        self.help = help
        self.labels = labels
    }

    public func increment(by amount: Double = 1) {
        precondition(amount >= 0, "counter \(name) cannot decrease")
        current.withLock { $0 += amount }
    }

    public func increment(by amount: Int) { increment(by: Double(amount)) }

    public var value: Double { current.withLock { $0 } }

    func write(to text: inout String) {
        text += "\(name)\(labelText) \(MetricsRegistry.formatValue(value))\n"
    }
}

/// A value that goes up and down (jobs queued, KV blocks free).
public final class Gauge: MetricSeries {
    public let name: String
    let help: String
    let labels: [(String, String)]
    let type = "gauge"
    private let current = Mutex<Double>(0)

    init(name: String, help: String, labels: [(String, String)]) {
        self.name = name
        self.help = help
        self.labels = labels
    }

    public func set(_ value: Double) { current.withLock { $0 = value } }
    public func set(_ value: Int) { set(Double(value)) }

    public var value: Double { current.withLock { $0 } }

    func write(to text: inout String) {
        text += "\(name)\(labelText) \(MetricsRegistry.formatValue(value))\n"
    }
}

/// Observations counted into fixed buckets, with their sum and count (`_bucket`, `_sum`,
/// `_count` series; buckets cumulative, as Prometheus expects).
public final class Histogram: MetricSeries {
    public let name: String
    let help: String
    let labels: [(String, String)]
    let type = "histogram"
    /// Increasing upper bounds, without `+Inf`.
    public let buckets: [Double]
    private let state: Mutex<State>

    struct State {
        /// Observations per bucket (not cumulative); the last entry is the `+Inf` bucket.
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    init(name: String, help: String, labels: [(String, String)], buckets: [Double]) {
        precondition(!buckets.isEmpty && zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 },
                     "histogram \(name) needs increasing buckets")
        self.name = name
        self.help = help
        self.labels = labels
        self.buckets = buckets
        state = Mutex(State(counts: Array(repeating: 0, count: buckets.count + 1)))
    }

    public func observe(_ value: Double) {
        let index = buckets.firstIndex { value <= $0 } ?? buckets.count
        state.withLock { state in
            state.counts[index] += 1
            state.sum += value
            state.count += 1
        }
    }

    /// Observations so far, and their sum.
    public var count: UInt64 { state.withLock { $0.count } }
    public var sum: Double { state.withLock { $0.sum } }

    func write(to text: inout String) {
        let snapshot = state.withLock { $0 }
        var cumulative: UInt64 = 0
        for (index, bound) in (buckets + [Double.infinity]).enumerated() {
            cumulative += snapshot.counts[index]
            let le = ("le", MetricsRegistry.formatValue(bound))
            text += "\(name)_bucket\(MetricsRegistry.labelText(labels + [le])) \(cumulative)\n"
        }
        text += "\(name)_sum\(labelText) \(MetricsRegistry.formatValue(snapshot.sum))\n"
        text += "\(name)_count\(labelText) \(snapshot.count)\n"
    }
}
