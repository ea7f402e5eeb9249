import Foundation

/// The instruction-set flags of this CPU as Linux lists them (the `flags` line of
/// /proc/cpuinfo), for the checks that decide which kernels may run.
public enum CPUFlags {
    /// The flags in `cpuinfo`; nil when it has no `flags` line (not Linux/x86, or unreadable).
    public static func parse(_ cpuinfo: String?) -> Set<String>? {
        guard let cpuinfo, let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            return nil
        }
        return Set(line.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "\t" }).map(String.init))
    }

    /// This machine's /proc/cpuinfo.
    public static func readCPUInfo() -> String? {
        try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    }
}
