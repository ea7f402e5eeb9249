import COpenBLAS
import Foundation
import Kernels

/// What the linked OpenBLAS says about itself, and whether the kernel set it picked uses the
/// vector instructions this CPU has. (OpenBLAS builds with DYNAMIC_ARCH pick kernels at load
/// time by CPU model; a release older than the CPU falls back to old ones, e.g. Prescott/SSE3.)
struct OpenBLASInfo {
    /// `openblas_get_config()`: version and build options.
    var configuration: String
    /// `openblas_get_corename()`: the kernel set in use, e.g. `SkylakeX`, `Haswell`, `Prescott`.
    var coreName: String
    var threads: Int

    static func current() -> OpenBLASInfo {
        OpenBLASInfo(configuration: String(cString: openblas_get_config()),
                     coreName: String(cString: openblas_get_corename()),
                     threads: Int(openblas_get_num_threads()))
    }

    /// The widest x86 vector extension a kernel set uses: 3 AVX-512, 2 AVX2, 1 AVX, 0 SSE or
    /// older; nil for names not known here (other architectures, newer releases).
    static func vectorLevel(coreName: String) -> Int? {
        switch coreName.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": return 3
        case "haswell", "zen", "excavator": return 2
        case "sandybridge", "bulldozer", "piledriver", "steamroller": return 1
        case "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
             "nehalem", "athlon", "opteron", "opteron(sse3)", "barcelona", "nano", "bobcat":
            return 0
        default: return nil
        }
    }

    /// The same scale for a CPU, from cpuid; nil off x86_64.
    static func vectorLevel(_ capabilities: CPUCapabilities) -> Int? {
        #if arch(x86_64)
        if capabilities.runsAVX512 { return 3 }
        if capabilities.runsAVX2 { return 2 }
        return capabilities.osSavesAVX ? 1 : 0
        #else
        return nil
        #endif
    }

    /// A kernel set to suggest through OPENBLAS_CORETYPE for a CPU of `level`.
    static func suggestedCoreType(level: Int) -> String {
        switch level {
        case 3: return "SkylakeX"
        case 2: return "Haswell"
        default: return "Sandybridge"
        }
    }

    static let levelNames = ["SSE", "AVX", "AVX2", "AVX-512"]
}
