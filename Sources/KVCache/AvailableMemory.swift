import Foundation

/// Memory the kernel can give a process without swapping: `MemAvailable` of /proc/meminfo
/// (Linux 3.14+; free memory plus the page cache and slab it can reclaim).
public enum AvailableMemory {
    /// Bytes of `MemAvailable` in /proc/meminfo text (given in kB, meaning KiB); nil when the
    /// line is missing or unreadable.
    public static func bytes(meminfo: String) -> Int? {
        guard let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }) else { return nil }
        let fields = line.split(separator: " ")
        guard fields.count >= 2, let kibibytes = Int(fields[1]) else { return nil }
        return kibibytes * 1024
    }

    /// This machine's available memory now, or nil where /proc/meminfo cannot be read.
    public static func now() -> Int? {
        (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)).flatMap(bytes(meminfo:))
    }
}
