import Synchronization

/// Counters, gauges and histograms in the Prometheus text exposition format (version 0.0.4).
///
/// Each metric is one series: a name plus fixed labels. Series sharing a name form one family
/// and must share its type and help; `exposition()` writes each family's `# HELP` and `# TYPE`
/// once, families in registration order. Updates and reads are thread-safe.
///
/// ```swift
/// let registry = MetricsRegistry()
/// let finished = registry.counter("jobs_finished_total", help: "Jobs that succeeded.")
/// finished.increment()
/// print(registry.exposition())
/// ```
public final class MetricsRegistry: Sendable {
    private let series = Mutex<[any MetricSeries]>([])

    public init() {}

    public func counter(_ name: String, help: String, labels: [(String, String)] = []) -> Counter {
        register(Counter(name: name, help: help, labels: labels))
    }

    public func gauge(_ name: String, help: String, labels: [(String, String)] = []) -> Gauge {
        register(Gauge(name: name, help: help, labels: labels))
    }

    /// `buckets`: increasing upper bounds; the `+Inf` bucket is implied.
    public func histogram(_ name: String, help: String, buckets: [Double],
                          labels: [(String, String)] = []) -> Histogram {
        register(Histogram(name: name, help: help, labels: labels, buckets: buckets))
    }

    private func register<M: MetricSeries>(_ metric: M) -> M {
        precondition(MetricsRegistry.isValidName(metric.name), "invalid metric name \(metric.name)")
        for (label, _) in metric.labels {
            precondition(MetricsRegistry.isValidName(label) && !label.contains(":") && label != "le",
                         "invalid label name \(label) on \(metric.name)")
        }
        series.withLock { all in
            if let sibling = all.first(where: { $0.name == metric.name }) {
                precondition(sibling.type == metric.type && sibling.help == metric.help,
                             "metric \(metric.name) registered twice with a different type or help")
                precondition(sibling.labelText != metric.labelText,
                             "metric \(metric.name)\(metric.labelText) registered twice")
            }
            all.append(metric)
        }
        return metric
    }

    /// Everything, as a `/metrics` response body.
    public func exposition() -> String {
        let all = series.withLock { $0 }
        var families: [String] = []
        var byName: [String: [any MetricSeries]] = [:]
        for metric in all {
            if byName[metric.name] == nil { families.append(metric.name) }
            byName[metric.name, default: []].append(metric)
        }
        var text = ""
        for name in families {
            let members = byName[name]!
            text += "# HELP \(name) \(MetricsRegistry.escapeHelp(members[0].help))\n"
            text += "# TYPE \(name) \(members[0].type)\n"
            for metric in members { metric.write(to: &text) }
        }
        return text
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !(first >= "0" && first <= "9") else { return false }
        return name.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == ":"
        }
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeLabelValue(_ text: String) -> String {
        escapeHelp(text).replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// `{a="x",b="y"}`, or nothing without labels.
    static func labelText(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Integers without a fraction, other values in Swift's shortest round-trip form.
    static func formatValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9.007e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

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
