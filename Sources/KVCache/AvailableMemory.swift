import Foundation

/// Memory this process can be given without swapping or being killed: the machine's
/// `MemAvailable` (/proc/meminfo, Linux 3.14+: free memory plus the page cache and slab it can
/// reclaim), or less where the process's cgroup has a memory limit (systemd's `MemoryMax=`, a
/// container's `--memory`).
public enum AvailableMemory {
    /// A number of bytes and where it comes from.
    public struct Limit: Sendable, Equatable {
        public var bytes: Int
        public var source: Source

        public init(bytes: Int, source: Source) {
            self.bytes = bytes
            self.source = source
        }
    }

    /// Which figure a `Limit` is; its description is how messages name it.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        /// The machine's `MemAvailable`.
        case memAvailable
        /// The room under the memory limit of the cgroup at this path (from the hierarchy's root).
        case cgroup(path: String)

        public var description: String {
            switch self {
            case .memAvailable: return "MemAvailable in /proc/meminfo"
            case .cgroup(let path): return "the memory limit of cgroup \(path)"
            }
        }
    }

    /// Bytes of `MemAvailable` in /proc/meminfo text (given in kB, meaning KiB); nil when the
    /// line is missing or unreadable.
    public static func bytes(meminfo: String) -> Int? {
        guard let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }) else { return nil }
        let fields = line.split(separator: " ")
        guard fields.count >= 2, let kibibytes = Int(fields[1]) else { return nil }
        return kibibytes * 1024
    }

    /// The tightest of `MemAvailable` and the room under the memory limits of this process's
    /// cgroup and its ancestors; nil when none can be read. `read` returns a file's text.
    public static func now(read: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }) -> Limit? {
        let machine = read("/proc/meminfo").flatMap(bytes(meminfo:)).map { Limit(bytes: $0, source: .memAvailable) }
        let cgroup = read("/proc/self/cgroup").flatMap { cgroupRoom(membership: $0, read: read) }
        return [machine, cgroup].compactMap { $0 }.min { $0.bytes < $1.bytes }
    }

    /// Room under the tightest memory limit on the path from this process's cgroup to the root:
    /// limit minus usage, from cgroup v2's `memory.max` and `memory.current` (the `0::PATH`
    /// line of /proc/self/cgroup) or v1's `memory.limit_in_bytes` and `memory.usage_in_bytes`
    /// (the `N:memory:PATH` line). "max" and v1's near-2^63 "no limit" are no limit. Usage
    /// counts the page cache of files read in the cgroup (the model file, first of all), which
    /// the kernel reclaims before it kills anything: its file pages (`memory.stat`'s
    /// `active_file` + `inactive_file`, v1 `total_active_file` + `total_inactive_file`) are not
    /// counted as used.
    static func cgroupRoom(membership: String, read: (String) -> String?) -> Limit? {
        var tightest: Limit?
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[2].hasPrefix("/") else { continue }
            let (root, limitFile, usageFile, filePages): (String, String, String, [String])
            if fields[0] == "0" && fields[1].isEmpty {
                (root, limitFile, usageFile, filePages) = ("/sys/fs/cgroup", "memory.max", "memory.current",
                                                           ["active_file", "inactive_file"])
            } else if fields[1].split(separator: ",").contains("memory") {
                (root, limitFile, usageFile, filePages) = ("/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes",
                                                           ["total_active_file", "total_inactive_file"])
            } else {
                continue
            }
            var path = String(fields[2])
            while true {
                let directory = root + (path == "/" ? "" : path)
                if let limit = read(directory + "/" + limitFile).flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
                   limit < 1 << 62 {
                    let usage = read(directory + "/" + usageFile).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
                    let stat = read(directory + "/memory.stat").map(statValues) ?? [:]
                    let cache = filePages.reduce(0) { $0 + (stat[$1] ?? 0) }
                    let room = max(0, limit - max(0, usage - cache))
                    if room < tightest?.bytes ?? Int.max {
                        tightest = Limit(bytes: room, source: .cgroup(path: path))
                    }
                }
                guard path != "/" else { break }
                path = path.split(separator: "/").dropLast().reduce("") { $0 + "/" + $1 }
                if path.isEmpty { path = "/" }
            }
        }
        return tightest
    }

    /// `memory.stat`'s "name value" lines.
    private static func statValues(_ text: String) -> [String: Int] {
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let value = Int(fields[1]) { values[String(fields[0])] = value }
        }
        return values
    }
}
