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
