import Engine
import Foundation
import Glibc
import Model

/// `jobs doctor`'s checks of the machine: the CPU's instructions, OpenBLAS's kernels, free
/// memory against what the daemon will take, and free disk beside the database. Each takes the
/// system's readings as arguments, so tests can give it any machine.
enum SystemChecks {
    static func cpu(cpuinfo: String?, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> DoctorFinding {
        let missing = CPUFeatures.missing(cpuinfo: cpuinfo)
        guard missing.isEmpty else {
            return .fail("cpu", "this CPU lacks \(missing.joined(separator: ", ")), which the decoder's kernels are built for",
                         fix: "run jobsd on an x86_64 CPU with AVX-512 (Intel Skylake-SP or newer, AMD Zen 4 or newer)")
        }
        let slow = CPUFeatures.missingFast(cpuinfo: cpuinfo)
        guard slow.isEmpty else {
            return .warn("cpu", "\(TextFormat.count(cores, "core")), with \(CPUFeatures.required.joined(separator: " ")) but "
                + "without \(slow.joined(separator: " ")): matrix products run on f32 activations, 2-3x slower than with "
                + "int8 dot products",
                fix: "nothing to fix to run jobs; for speed, an Intel Cascade Lake, Ice Lake or newer CPU or an AMD Zen 4 "
                    + "or newer has AVX-512 VNNI")
        }
        return .ok("cpu", "\(TextFormat.count(cores, "core")), with \((CPUFeatures.required + CPUFeatures.fast).joined(separator: " ")) "
            + "(int8 dot products)")
    }

    static func openBLAS(_ info: OpenBLASInfo, cpuinfo: String?) -> DoctorFinding {
        let version = info.configuration.split(separator: " ").prefix(2).joined(separator: " ")
        let role = "only the reference checks and benchmark baselines use it (the decoder has its own kernels)"
        if let level = OpenBLASInfo.vectorLevel(coreName: info.coreName),
           let cpuLevel = OpenBLASInfo.vectorLevel(cpuinfo: cpuinfo), level < cpuLevel {
            return .warn("openblas", "\(version) runs its \(info.coreName) kernels (\(OpenBLASInfo.levelNames[level])) "
                + "on this \(OpenBLASInfo.levelNames[cpuLevel]) CPU, with \(TextFormat.count(info.threads, "thread")); "
                + "\(role), so only they are slower",
                fix: "export OPENBLAS_CORETYPE=\(OpenBLASInfo.suggestedCoreType(level: cpuLevel)) before benchmarks and "
                    + "tests (this OpenBLAS does not know the CPU model; a newer libopenblas picks the right kernels itself)")
        }
        return .ok("openblas", "\(version), \(info.coreName) kernels, \(TextFormat.count(info.threads, "thread")); \(role)")
    }

    /// `weights` nil: the model could not be loaded (its own finding says why).
    static func memory(meminfo: String?, weights: Int?, kvMemory: Int) -> DoctorFinding {
        let needed = (weights ?? 0) + kvMemory
        let parts = "\(weights.map { "\(ByteCount.format($0)) of weights" } ?? "model weights unknown") + "
            + "\(ByteCount.format(kvMemory)) of KV cache"
        let fix = "free memory, give jobsd less KV cache memory (check a size with jobs doctor --kv-memory SIZE), "
            + "or use a smaller model"
        guard let available = meminfo.flatMap(availableMemory) else {
            return .warn("memory", "cannot read MemAvailable from /proc/meminfo; jobsd needs about \(ByteCount.format(needed)) "
                + "(\(parts))", fix: "make sure that much memory is free")
        }
        let finding = "\(ByteCount.format(available)) available; jobsd needs about \(ByteCount.format(needed)) (\(parts))"
        if available < needed { return .fail("memory", finding, fix: fix) }
        if available < needed + needed / 4 { return .warn("memory", finding + ", less than 25% to spare", fix: fix) }
        return .ok("memory", finding)
    }

    /// Bytes of `MemAvailable` in /proc/meminfo text (given in kB, meaning KiB).
    static func availableMemory(meminfo: String) -> Int? {
        guard let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }) else { return nil }
        let fields = line.split(separator: " ")
        guard fields.count >= 2, let kibibytes = Int(fields[1]) else { return nil }
        return kibibytes * 1024
    }

    /// Free space for the database: SQLite fails writes on a full disk, and VACUUM needs room
    /// for a second copy of the file.
    static func disk(folder: String, databaseBytes: Int,
                     freeBytes: (String) -> Int? = { freeDiskSpace(at: $0) }) -> DoctorFinding {
        let existing = DatabaseChecks.nearestExisting(folder)
        guard let free = freeBytes(existing) else {
            return .warn("disk", "cannot read the free space of \(existing)",
                         fix: "check that \(existing) is on a mounted file system")
        }
        let finding = "\(ByteCount.format(free)) free on the file system of \(existing)"
        let fix = "free space there or move the database (--db); 'jobs prune --older-than 30d --vacuum' "
            + "returns the space of old jobs"
        if free < 100 << 20 { return .fail("disk", finding, fix: fix) }
        if free < max(1 << 30, databaseBytes) {
            return .warn("disk", finding + (free < databaseBytes ? ", less than the database's size (VACUUM needs that much)" : ""),
                         fix: fix)
        }
        return .ok("disk", finding)
    }

    /// Bytes an unprivileged user may still write on the file system holding `path`.
    static func freeDiskSpace(at path: String) -> Int? {
        var status = statvfs()
        guard statvfs(path, &status) == 0 else { return nil }
        return Int(status.f_bavail) * Int(status.f_frsize)
    }
}
