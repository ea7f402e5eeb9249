import Foundation
import JSON

/// How numbers, durations and times read in human output.
public enum TextFormat {
    /// `1,234,567`
    public static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// `3 jobs`, `1 job`
    public static func count(_ value: Int, _ noun: String, plural: String? = nil) -> String {
        "\(count(value)) \(value == 1 ? noun : plural ?? noun + "s")"
    }

    /// A span of time at a useful precision: `850 ms`, `4.2 s`, `3m 12s`, `2h 05m`, `3d 4h`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let total = Int(seconds.rounded())
        if total < 3600 { return "\(total / 60)m \(String(format: "%02d", total % 60))s" }
        if total < 86400 { return "\(total / 3600)h \(String(format: "%02d", total % 3600 / 60))m" }
        return "\(total / 86400)d \(total % 86400 / 3600)h"
    }

    /// A short age for tables: `12s`, `5m`, `3h`, `2d`.
    public static func age(_ seconds: Double) -> String {
        let s = max(0, Int(seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }

    /// Local time, to the second: `2026-11-26 09:12:03`.
    public static func time(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", parts.tm_year + 1900, parts.tm_mon + 1,
                      parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    /// `1.5`, `12.3`, `431` — one decimal below 100.
    public static func rate(_ value: Double) -> String {
        value < 100 ? String(format: "%.1f", value) : String(Int(value.rounded()))
    }

    /// `text` with control characters other than newline and tab shown as `\uXXXX` (as JSON writes
    /// them): prompts, outputs and custom ids are untrusted, and a raw NUL, carriage return or
    /// escape sequence would act on the terminal instead of showing. The bidirectional embedding,
    /// override and isolate controls (U+202A-U+202E, U+2066-U+2069) are shown the same way: they
    /// reorder what the terminal draws after them ("Trojan Source", CVE-2021-42574).
    public static func visible(_ text: String) -> String {
        escaped(text, keepingLayout: true)
    }

    /// `text` as one line: as `visible`, and newline and tab shown as `\u000A` and `\u0009` too.
    /// For messages (errors, a file's line problems, notes) that quote what they were given: a
    /// newline there would let a file or an argument print a line of its own that passes for
    /// one of ours (`jobs: ...`, `FILE:9: ...`).
    public static func visibleLine(_ text: String) -> String {
        escaped(text, keepingLayout: false)
    }

    private static func escaped(_ text: String, keepingLayout: Bool) -> String {
        let hidden = { (scalar: Unicode.Scalar) in isHidden(scalar) || (!keepingLayout && (scalar == "\n" || scalar == "\t")) }
        guard text.unicodeScalars.contains(where: hidden) else { return text }
        var visible = ""
        for scalar in text.unicodeScalars {
            if hidden(scalar) {
                visible += "\\u" + String(format: "%04X", scalar.value)
            } else {
                visible.unicodeScalars.append(scalar)
            }
        }
        return visible
    }

    private static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isTerminalControl && scalar != "\n" && scalar != "\t"
    }

    /// The first line of `text`, at most `limit` characters, with `…` when cut.
    public static func snippet(_ text: String, limit: Int) -> String {
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if line.count <= limit && line.count == text.count { return line }
        return String(line.prefix(max(limit - 1, 0))) + "…"
    }
}

/// Left-aligned text columns (right-aligned where asked), two spaces apart.
public struct TextTable {
    public var headers: [String]
    public var rightAligned: Set<Int> = []
    public var rows: [[String]] = []

    public init(headers: [String], rightAligned: Set<Int> = [], rows: [[String]] = []) {
        self.headers = headers
        self.rightAligned = rightAligned
        self.rows = rows
    }

    public func render() -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { column in
                let cell = row[column]
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                if rightAligned.contains(column) { return padding + cell }
                return column == row.count - 1 ? cell : cell + padding
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
