/// Sizes of memory and files in binary units, as `jobs doctor` prints and reads them.
enum ByteSize {
    /// `512 B`, `3.4 KiB`, `253 MiB`, `2.0 GiB`: three significant digits at most.
    static func text(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        return value < 10 ? String(format: "%.1f %@", value, units[unit]) : "\(Int(value.rounded())) \(units[unit])"
    }

    /// `2G`, `512M`, `64k`, `1.5GiB`, `1000000`: a positive size with an optional binary
    /// unit (k, M, G, T, optionally followed by `iB` or `B`); nil for anything else.
    static func parse(_ text: String) -> Int? {
        var number = Substring(text)
        var multiplier = 1.0
        for suffix in ["iB", "B"] where number.hasSuffix(suffix) && number.count > suffix.count {
            number = number.dropLast(suffix.count)
            break
        }
        if let last = number.last, let power = ["k": 1, "K": 1, "m": 2, "M": 2, "g": 3, "G": 3, "t": 4, "T": 4][last] {
            multiplier = pow1024(power)
            number = number.dropLast()
        }
        guard let value = Double(number), value > 0, value.isFinite, value * multiplier < 9e18 else { return nil }
        return Int(value * multiplier)
    }

    private static func pow1024(_ power: Int) -> Double {
        (0..<power).reduce(1.0) { result, _ in result * 1024 }
    }
}
