import Kernels

/// Checks, before any kernel runs, that this CPU runs a kernel level (`KernelLevel`): the
/// kernel modules are compiled for AVX2 or AVX-512 and would die of SIGILL on an older CPU, so
/// every command that needs the model refuses first, with what is missing.
public enum CPUFeatures {
    /// The kernel level in use, or why there is none.
    public static var level: Result<KernelLevel, KernelLevelError> { KernelLevel.selected }

    public static func check() throws {
        if case let .failure(error) = KernelLevel.selected { throw ModelError.unsupportedCPU(error) }
    }
}
