/// Batch names: short, safe in shells and in `BATCH/CUSTOM_ID` references (no `/`).
public enum BatchName {
    public static let maximumLength = 64

    /// 1 to `maximumLength` ASCII letters, digits, `.`, `_` or `-`, starting with a letter or digit.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= maximumLength,
              isAlphanumeric(first) else { return false }
        return name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".")
            || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// The default name for a file: its base name without extension, other characters
    /// replaced by `-` (`/data/Night Run.jsonl` → `Night-Run`); `stdin` for standard input.
    static func derived(fromSource source: String) -> String {
        guard source != "-" else { return "stdin" }
        var base = Substring(source.split(separator: "/").last ?? "batch")
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = base[..<dot] }
        var bytes = base.utf8.map { byte -> UInt8 in
            isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-") ? byte : UInt8(ascii: "-")
        }
        while let first = bytes.first, !isAlphanumeric(first) { bytes.removeFirst() }
        // Leave room for a "-NN" suffix when the name is taken.
        let name = String(decoding: bytes.prefix(maximumLength - 6), as: UTF8.self)
        return name.isEmpty ? "batch" : name
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
