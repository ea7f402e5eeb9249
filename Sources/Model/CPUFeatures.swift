import Foundation

/// Checks, before any kernel runs, that the CPU has the instructions the kernels are built for.
///
/// The `Kernels` module is compiled for AVX-512 (see Package.swift); on an older CPU it would
/// die of SIGILL mid-job. Reading /proc/cpuinfo keeps this check in plain code.
public enum CPUFeatures {
    public static let required = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "fma", "f16c"]

    /// The required flags this CPU lacks (empty when it can run the decoder).
    public static func missing(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> [String] {
        guard let cpuinfo,
              let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            return []  // not Linux/x86 or unreadable: let the kernels speak for themselves
        }
        let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "\t" }).map(String.init))
        return required.filter { !flags.contains($0) }
    }

    /// Speeds up without being required: AVX-512 VNNI runs the int8 matrix products
    /// (`MatrixActivations.int8`); without it they take f32 activations, 2-3x slower.
    public static let fast = ["avx512_vnni"]

    /// The `fast` flags this CPU lacks (empty when unreadable).
    public static func missingFast(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> [String] {
        guard let cpuinfo,
              let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "\t" }).map(String.init))
        return fast.filter { !flags.contains($0) }
    }

    public static func check() throws {
        let missing = missing()
        if !missing.isEmpty { throw ModelError.unsupportedCPU(missing: missing) }
    }
}
