import Foundation
import JSON
import Synchronization

/// Structured log lines in logfmt, one line per event:
///
///     ts=2026-11-26T10:00:00.123Z level=info event=claim job=42 batch=nightly custom_id=p7 attempt=1
///
/// `ts`, `level` and `event` come first, then the event's fields in the order given. Values
/// with spaces, quotes, `=` or control characters are quoted with `\"`, `\\`, `\n`, `\r`, `\t`
/// escapes; nil values are left out. Lines are written whole, one at a time, from any thread.
public final class Logger: Sendable {
    public let level: LogLevel
    private let sink: @Sendable (String) -> Void
    private let lock = Mutex(())

    /// `sink` receives each line without its newline.
    public init(level: LogLevel, sink: @escaping @Sendable (String) -> Void = Logger.standardError) {
        self.level = level
        self.sink = sink
    }

    /// Writes the line and a newline to standard error, unbuffered.
    public static let standardError: @Sendable (String) -> Void = { line in
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    public func isEnabled(_ level: LogLevel) -> Bool { level >= self.level }

    public func debug(_ event: String, _ fields: (String, Any?)...) { log(.debug, event, fields) }
    public func info(_ event: String, _ fields: (String, Any?)...) { log(.info, event, fields) }
    public func warn(_ event: String, _ fields: (String, Any?)...) { log(.warn, event, fields) }
    public func error(_ event: String, _ fields: (String, Any?)...) { log(.error, event, fields) }

    public func log(_ level: LogLevel, _ event: String, _ fields: [(String, Any?)]) {
        guard isEnabled(level) else { return }
        var line = "ts=\(Logger.timestamp(Date())) level=\(level) event=\(Logger.format(event))"
        for (key, value) in fields {
            guard let value else { continue }
            line += " \(key)=\(Logger.format(value))"
        }
        lock.withLock { _ in sink(line) }
    }

    /// A value as logfmt writes it: numbers plainly (seconds to the microsecond), text quoted
    /// when needed.
    static func format(_ value: Any) -> String {
        switch value {
        case let value as Double:
            return formatNumber(value)
        case let value as Float:
            return formatNumber(Double(value))
        case let value as String:
            return quote(value)
        case let value as CustomStringConvertible:
            return quote(value.description)
        default:
            return quote("\(value)")
        }
    }

    static func formatNumber(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func quote(_ text: String) -> String {
        let needsQuotes = text.isEmpty || text.unicodeScalars.contains {
            $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.isTerminalControl
        }
        guard needsQuotes else { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            default:
                if scalar.isTerminalControl {
                    quoted += String(format: "\\u%04x", scalar.value)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-26T10:00:00.123Z`.
    static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let milliseconds = min(999, Int((seconds - Double(whole)) * 1000))
        var parts = tm()
        gmtime_r(&whole, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), milliseconds)
    }
}
