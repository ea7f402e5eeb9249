import Foundation
@_exported import KernelInterface
#if arch(x86_64)
import KernelsAVX2
import KernelsAVX512
#endif

/// The CPU level the numeric kernels run at, chosen once at start-up from `cpuid`/`xgetbv`
/// (`CPUCapabilities`), or forced with `JOBS_KERNELS=avx512|avx2` (tests, benchmarks, bug
/// reports). Each level is the same kernel source compiled for that level's instructions
/// (Sources/KernelCode, built into `KernelsAVX512` and `KernelsAVX2`); results are
/// batch-invariant at every level, and the two levels need not give identical tokens.
///
/// Adding a level (aarch64 NEON, say) is a module built from Sources/KernelCode with that
/// target's flags, its own `Int8Kernel`, a case here and a line in `kernels`.
public enum KernelLevel: String, Sendable, CaseIterable, CustomStringConvertible {
    /// AVX-512 F/BW/VL/DQ (Skylake-SP, Zen 4 and newer), with AVX-512 VNNI int8 products where present.
    case avx512
    /// AVX2 + FMA + F16C (Haswell, Zen 1 and newer), int8 products with `vpmaddubsw`.
    case avx2

    public var description: String { rawValue }

    /// The environment variable that forces a level.
    public static let environmentKey = "JOBS_KERNELS"

    /// The level in use: `JOBS_KERNELS` if set, else the best this CPU runs; an error when the
    /// CPU (or the OS) cannot run any level, or lacks the forced one.
    public static let selected: Result<KernelLevel, KernelLevelError> = { () -> Result<KernelLevel, KernelLevelError> in
        do throws(KernelLevelError) {
            return .success(try select(forced: ProcessInfo.processInfo.environment[environmentKey], capabilities: .current))
        } catch {
            return .failure(error)
        }
    }()

    /// The level for `capabilities`, or the `forced` one (by name) if the CPU runs it.
    public static func select(forced: String?, capabilities: CPUCapabilities) throws(KernelLevelError) -> KernelLevel {
        if let forced, !forced.isEmpty {
            guard let level = KernelLevel(rawValue: forced.lowercased()) else {
                throw .unknownLevel(forced)
            }
            guard level.runs(on: capabilities) else {
                throw .forcedLevelUnsupported(level, missing: level.missing(on: capabilities))
            }
            return level
        }
        if KernelLevel.avx512.runs(on: capabilities) { return .avx512 }
        if KernelLevel.avx2.runs(on: capabilities) { return .avx2 }
        throw .noLevel(missing: KernelLevel.avx2.missing(on: capabilities))
    }

    /// Whether a CPU with `capabilities` runs this level's code.
    public func runs(on capabilities: CPUCapabilities) -> Bool {
        #if arch(x86_64)
        switch self {
        case .avx512: return capabilities.runsAVX512
        case .avx2: return capabilities.runsAVX2
        }
        #else
        return false
        #endif
    }

    /// What a CPU with `capabilities` lacks for this level, in /proc/cpuinfo's names (and
    /// "OS support for AVX state" when the CPU has the instructions but the OS does not save
    /// their registers).
    public func missing(on capabilities: CPUCapabilities) -> [String] {
        var needed: [(String, Bool)] = [("avx2", capabilities.avx2), ("fma", capabilities.fma),
                                        ("f16c", capabilities.f16c)]
        var osState = capabilities.osSavesAVX
        if self == .avx512 {
            needed += [("avx512f", capabilities.avx512f), ("avx512bw", capabilities.avx512bw),
                       ("avx512vl", capabilities.avx512vl), ("avx512dq", capabilities.avx512dq)]
            osState = osState && capabilities.osSavesAVX512
        }
        var missing = needed.filter { !$0.1 }.map(\.0)
        if missing.isEmpty && !osState {
            missing.append(self == .avx512 ? "OS support for the AVX-512 register state" : "OS support for the AVX register state")
        }
        #if !arch(x86_64)
        missing = ["an x86_64 CPU"]
        #endif
        return missing
    }

    /// The kernels compiled for this level.
    public var kernels: any KernelSet.Type {
        #if arch(x86_64)
        switch self {
        case .avx512: return KernelsAVX512.LevelKernels.self
        case .avx2: return KernelsAVX2.LevelKernels.self
        }
        #else
        fatalError("no kernel level for this architecture")
        #endif
    }

    /// The selected level's kernels. Model loading checks `selected` first (and refuses with
    /// its message), so reaching a kernel without a level is a programming error.
    static let active: any KernelSet.Type = {
        switch selected {
        case let .success(level): return level.kernels
        case let .failure(error): fatalError("\(error)")
        }
    }()
}

/// Why no kernel level can run.
public enum KernelLevelError: Error, Equatable, CustomStringConvertible {
    /// The CPU (or the OS) lacks what the lowest level, AVX2, needs.
    case noLevel(missing: [String])
    /// `JOBS_KERNELS` names a level this CPU cannot run.
    case forcedLevelUnsupported(KernelLevel, missing: [String])
    /// `JOBS_KERNELS` names no level.
    case unknownLevel(String)

    public var description: String {
        switch self {
        case let .noLevel(missing):
            return "this CPU cannot run the decoder: it needs an x86_64 CPU with AVX2, FMA and F16C (Intel Haswell, "
                + "AMD Zen or newer) and an OS that enables AVX; missing: \(missing.joined(separator: ", "))"
        case let .forcedLevelUnsupported(level, missing):
            return "\(KernelLevel.environmentKey)=\(level) asks for kernels this CPU cannot run (missing: "
                + "\(missing.joined(separator: ", "))); unset it to use the best level this CPU has"
        case let .unknownLevel(name):
            return "\(KernelLevel.environmentKey)=\(name) is not a kernel level; use one of: "
                + KernelLevel.allCases.map(\.rawValue).joined(separator: ", ")
        }
    }
}
