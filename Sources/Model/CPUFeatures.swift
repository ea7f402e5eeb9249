import Foundation
import Kernels

/// Checks, before any kernel runs, that the CPU has the instructions the kernels are built for.
///
/// The `Kernels` module is compiled for AVX-512 (see Package.swift); on an older CPU it would
/// die of SIGILL mid-job. Reading /proc/cpuinfo keeps this check in plain code.
public enum CPUFeatures {
    public static let required = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "fma", "f16c"]

    /// The required flags this CPU lacks (empty when it can run the decoder).
    public static func missing(cpuinfo: String? = CPUFlags.readCPUInfo()) -> [String] {
        // Not Linux/x86 or unreadable: let the kernels speak for themselves.
        guard let flags = CPUFlags.parse(cpuinfo) else { return [] }
        return required.filter { !flags.contains($0) }
    }

    /// Speeds up without being required: AVX-512 VNNI runs the int8 matrix products
    /// (`MatrixActivations.int8`); without it they take f32 activations, 2-3x slower.
    public static let fast = ["avx512_vnni"]

    /// The `fast` flags this CPU lacks (empty when unreadable).
    public static func missingFast(cpuinfo: String? = CPUFlags.readCPUInfo()) -> [String] {
        guard let flags = CPUFlags.parse(cpuinfo) else { return [] }
        return fast.filter { !flags.contains($0) }
    }

    public static func check() throws {
        let missing = missing()
        if !missing.isEmpty { throw ModelError.unsupportedCPU(missing: missing) }
    }
}
