import Foundation

/// Sizes written the way people write them on a command line: `2GiB`, `512MiB`, `1.5GB`, `4096`.
///
/// Units are case-insensitive. `KB`/`MB`/`GB`/`TB` are powers of 1000, `KiB`/`MiB`/`GiB`/`TiB`
/// powers of 1024; a bare `K`/`M`/`G`/`T` means the binary unit (as in `-Xmx2g`). No unit: bytes.
public enum ByteCount {
    private static let units: [String: Double] = [
        "": 1, "b": 1,
        "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
        "k": 1024, "m": 1_048_576, "g": 1_073_741_824, "t": 1_099_511_627_776,
        "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
    ]

    /// Whole bytes (rounded down), at least 1.
    public static func parse(_ text: String) throws(ByteCountError) -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard !number.isEmpty else {
            throw ByteCountError(text: text, reason: "it does not start with a number")
        }
        guard number.filter({ $0 == "." }).count <= 1, number != ".", let value = Double(number) else {
            throw ByteCountError(text: text, reason: "'\(number)' is not a number")
        }
        guard let multiplier = units[unit] else {
            throw ByteCountError(text: text, reason: "unknown unit '\(unit)'")
        }
        let bytes = value * multiplier
        guard bytes >= 1 else {
            throw ByteCountError(text: text, reason: "it is less than one byte")
        }
        guard bytes < Double(Int.max) else {
            throw ByteCountError(text: text, reason: "it is too large")
        }
        return Int(bytes)
    }

    /// A short human form for messages: `2 GiB`, `1.5 MiB`, `512 B`.
    public static func format(_ bytes: Int) -> String {
        let steps = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes), step = 0
        while value >= 1024, step < steps.count - 1 { value /= 1024; step += 1 }
        if step == 0 || value == value.rounded() { return "\(Int(value)) \(steps[step])" }
        return "\((value * 10).rounded() / 10) \(steps[step])"
    }
}

/// A size that `ByteCount.parse` cannot read; the message says how to write one.
public struct ByteCountError: Error, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public var description: String {
        "'\(text)' is not a size: \(reason); write a number with an optional unit B, KB, KiB, MB, MiB, GB, GiB, TB or TiB (e.g. 2GiB, 512MiB, 1.5GB)"
    }
}
