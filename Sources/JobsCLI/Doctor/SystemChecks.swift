import CommandLineKit
import Engine
import Foundation
import Glibc
import Kernels
import KVCache
import Model

/// `jobs doctor`'s checks of the machine: the CPU's instructions, OpenBLAS's kernels, free
/// memory against what the daemon will take, and free disk beside the database. Each takes the
/// system's readings as arguments, so tests can give it any machine.
enum SystemChecks {
    /// The kernel level this machine runs (`KernelLevel`), from cpuid, or `forced` (the value of
    /// JOBS_KERNELS); a FAIL with what is missing when it runs none.
    static func cpu(capabilities: CPUCapabilities, forced: String?,
                    cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> DoctorFinding {
        let level: KernelLevel
        do {
            level = try KernelLevel.select(forced: forced, capabilities: capabilities)
        } catch {
            switch error {
            case .noLevel:
                return .fail("cpu", "\(error)",
                             fix: "run jobsd on an x86_64 CPU with AVX2, FMA and F16C (Intel Haswell, AMD Zen or newer); "
                                 + "submit, list, stats, results and report work here")
            case .forcedLevelUnsupported, .unknownLevel:
                return .fail("cpu", "\(error)", fix: "unset \(KernelLevel.environmentKey)")
            }
        }
        let how = forced.map { $0.isEmpty ? "" : ", forced by \(KernelLevel.environmentKey)" } ?? ""
        let cpu = "\(TextFormat.count(cores, "core")), kernels: \(level)\(how)"
        switch level {
        case .avx512 where !capabilities.avx512vnni:
            return .warn("cpu", "\(cpu), without avx512_vnni: matrix products run on f32 activations, 2-3x slower than "
                + "with int8 dot products",
                fix: "nothing to fix to run jobs; for speed, try JOBS_KERNELS=avx2 (int8 products with AVX2), or an "
                    + "Intel Cascade Lake, Ice Lake or newer CPU or an AMD Zen 4 or newer, which have AVX-512 VNNI")
        case .avx512 where capabilities.avx512bf16:
            return .ok("cpu", "\(cpu) (int8 dot products with avx512_vnni; attention's bf16 products with avx512_bf16, "
                + "so the KV cache is bf16 by default)")
        case .avx512:
            return .ok("cpu", "\(cpu) (int8 dot products with avx512_vnni)")
        case .avx2:
            return .ok("cpu", "\(cpu) (int8 dot products with vpmaddubsw)")
        }
    }

    static func openBLAS(_ info: OpenBLASInfo, capabilities: CPUCapabilities) -> DoctorFinding {
        let version = info.configuration.split(separator: " ").prefix(2).joined(separator: " ")
        let role = "only the reference checks and benchmark baselines use it (the decoder has its own kernels)"
        if let level = OpenBLASInfo.vectorLevel(coreName: info.coreName),
           let cpuLevel = OpenBLASInfo.vectorLevel(capabilities), level < cpuLevel {
            return .warn("openblas", "\(version) runs its \(info.coreName) kernels (\(OpenBLASInfo.levelNames[level])) "
                + "on this \(OpenBLASInfo.levelNames[cpuLevel]) CPU, with \(TextFormat.count(info.threads, "thread")); "
                + "\(role), so only they are slower",
                fix: "export OPENBLAS_CORETYPE=\(OpenBLASInfo.suggestedCoreType(level: cpuLevel)) before benchmarks and "
                    + "tests (this OpenBLAS does not know the CPU model; a newer libopenblas picks the right kernels itself)")
        }
        return .ok("openblas", "\(version), \(info.coreName) kernels, \(TextFormat.count(info.threads, "thread")); \(role)")
    }

    /// `available`: `AvailableMemory.now()` (MemAvailable, or the room under a cgroup memory
    /// limit, as jobsd checks it), read before the weights are loaded here; nil when unreadable.
    /// `weights` nil: the model could not be loaded (its own finding says why). `workingMemory`:
    /// what jobsd keeps free beside its pool (`ModelChecks.Outcome.workingMemory`); nil counts
    /// the runtime's share only.
    static func memory(available limit: AvailableMemory.Limit?, weights: Int?, kvMemory: Int,
                       workingMemory: Int? = nil) -> DoctorFinding {
        let working = workingMemory ?? KVBlockStorage.processOverhead
        let needed = (weights ?? 0) + kvMemory + working
        let parts = "\(weights.map { "\(ByteCount.format($0)) of weights" } ?? "model weights unknown") + "
            + "\(ByteCount.format(kvMemory)) of KV cache + \(ByteCount.format(working)) of working memory"
        let fix = "free memory, give jobsd less KV cache memory, fewer batch tokens or fewer sequences (check them with "
            + "jobs doctor --kv-memory SIZE --max-batch-tokens N --max-seqs N), or use a smaller model"
        guard let limit else {
            return .warn("memory", "cannot read MemAvailable from /proc/meminfo; jobsd needs about \(ByteCount.format(needed)) "
                + "(\(parts))", fix: "make sure that much memory is free")
        }
        let available = limit.bytes
        let source = limit.source == .memAvailable ? "" : " (\(limit.source))"
        let finding = "\(ByteCount.format(available)) available\(source); jobsd needs about \(ByteCount.format(needed)) (\(parts))"
        if available < needed {
            return .fail("memory", finding + ": \(ByteCount.format(needed - available)) short", fix: fix)
        }
        if available < needed + needed / 4 { return .warn("memory", finding + ", less than 25% to spare", fix: fix) }
        return .ok("memory", finding)
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
