import Foundation

/// Resident memory of this process, from /proc (Linux).
enum ProcessMemory {
    /// Peak resident set size (VmHWM) in bytes, or nil where /proc is unavailable.
    static func peakResidentBytes() -> Int? { statusField("VmHWM") }

    /// Current resident set size (VmRSS) in bytes.
    static func residentBytes() -> Int? { statusField("VmRSS") }

    /// Starts a new peak measurement from the current RSS (writes 5 to /proc/self/clear_refs).
    static func resetPeak() {
        let descriptor = open("/proc/self/clear_refs", O_WRONLY)
        guard descriptor >= 0 else { return }
        _ = write(descriptor, "5", 1)
        close(descriptor)
    }

    private static func statusField(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kilobytes = Int(parts[1]) { return kilobytes * 1024 }
        }
        return nil
    }
}
