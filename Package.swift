// swift-tools-version:6.0
// jobs: a local, persistent, batch LLM generation service. No package dependencies:
// Foundation, Dispatch, Glibc and two system libraries (SQLite3, OpenBLAS).
import PackageDescription

/// The numeric kernels are built with AVX-512 code generation (the product needs an x86_64 CPU
/// with AVX-512F/BW/VL; `jobs doctor` and model loading check for it) and `-Ounchecked` in every
/// configuration: with bounds checks the GEMM micro-kernel's accumulators leave registers and it
/// runs 3-4x slower (measured), and debug tests on real model files would take minutes.
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "skylake-avx512", "-Ounchecked", "-enforce-exclusivity=unchecked"]),
]

/// The one kernel that needs an instruction beyond AVX-512F/BW/VL: `vpdpbusd` (AVX-512 VNNI),
/// reached through `Builtin` (hence `-parse-stdlib`). Only this module is compiled for a CPU
/// with VNNI, so nothing else can pick up those instructions; it runs only where the CPU has them.
let vnniSettings: [SwiftSetting] = [
    .unsafeFlags(["-parse-stdlib", "-target-cpu", "cascadelake", "-Ounchecked", "-enforce-exclusivity=unchecked"]),
]

/// Code that drives the kernels per token stays optimized in debug builds too.
let hotPathSettings: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "skylake-avx512"]),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "jobs",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "jobs", targets: ["jobs"]),
        .executable(name: "jobsd", targets: ["jobsd"]),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),

        .target(name: "GGUF", dependencies: ["Kernels"]),
        .target(name: "Kernels", dependencies: ["COpenBLAS", "VNNIKernels"], swiftSettings: kernelSettings),
        .target(name: "VNNIKernels", swiftSettings: vnniSettings),
        .target(name: "Tokenizer", dependencies: ["GGUF"]),
        .target(name: "KVCache", swiftSettings: hotPathSettings),
        .target(name: "Model", dependencies: ["GGUF", "Kernels", "Tokenizer", "KVCache"],
                swiftSettings: hotPathSettings),
        .target(name: "Engine", dependencies: ["Model", "KVCache", "Tokenizer", "Kernels"],
                swiftSettings: hotPathSettings),
        .target(name: "JobStore", dependencies: ["CSQLite"]),
        .target(name: "Daemon", dependencies: ["JobStore", "Engine", "Model", "Tokenizer"]),
        .target(name: "JobsCLI", dependencies: ["JobStore", "Engine", "Model", "Daemon", "GGUF", "Kernels", "KVCache",
                                                "Tokenizer", "COpenBLAS"]),
        .executableTarget(name: "jobs", dependencies: ["JobsCLI"]),
        .executableTarget(name: "jobsd", dependencies: ["JobsCLI"]),

        // Test-only helpers (a GGUF writer, tiny model builders, temporary files).
        .target(name: "TestSupport", dependencies: ["GGUF", "JobStore", "Kernels", "Model"], path: "Tests/TestSupport"),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "Kernels", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "GGUF", "TestSupport", "COpenBLAS"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "GGUF", "TestSupport"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "TestSupport"]),
        .testTarget(name: "KVCacheTests", dependencies: ["KVCache"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Model", "TestSupport"]),
        .testTarget(name: "JobStoreTests", dependencies: ["JobStore", "TestSupport"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "Engine", "JobStore", "Model", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["JobsCLI", "JobStore", "Model", "TestSupport"]),
    ]
)
