// swift-tools-version:6.0
// jobs: a local, persistent, batch LLM generation service. No package dependencies:
// Foundation, Dispatch, Glibc and two system libraries (SQLite3, OpenBLAS).
import PackageDescription

/// The numeric kernels are written once (Sources/KernelCode) and compiled once per x86_64 CPU
/// level, each module for its level's instructions; `Kernels` picks one at start-up from
/// cpuid (`KernelLevel`). Only these modules get a `-target-cpu` above the baseline x86-64, so
/// everything else (submit, stats, results, doctor...) runs on any x86_64 CPU. They are built
/// with `-Ounchecked` in every configuration: with bounds checks the GEMM micro-kernel's
/// accumulators leave registers and it runs 3-4x slower (measured), and debug tests on real
/// model files would take minutes.
func kernelLevel(_ cpu: String, parseStdlib: Bool = false) -> [SwiftSetting] {
    [.unsafeFlags((parseStdlib ? ["-parse-stdlib"] : []) + ["-target-cpu", cpu, "-Ounchecked", "-enforce-exclusivity=unchecked"])]
}

/// The int8 products reach their instructions through `Builtin` (hence `-parse-stdlib`):
/// `vpdpbusd` (AVX-512 VNNI, compiled for Cascade Lake and run only where cpuid reports VNNI, so
/// nothing else can pick up those instructions) and `vpmaddubsw`/`vpmaddwd` (AVX2). bf16
/// attention's `vdpbf16ps` comes from a C header (CBF16: `Builtin` cannot name LLVM's bfloat
/// vectors) inlined into BF16Kernels, compiled for Cooper Lake and run only where cpuid reports
/// AVX512_BF16.
#if arch(x86_64)
let kernelLevelTargets: [Target] = [
    .target(name: "KernelsAVX512", dependencies: ["KernelInterface", "VNNIKernels", "BF16Kernels"], swiftSettings: kernelLevel("skylake-avx512")),
    .target(name: "VNNIKernels", dependencies: ["KernelInterface"], swiftSettings: kernelLevel("cascadelake", parseStdlib: true)),
    .target(name: "BF16Kernels", dependencies: ["KernelInterface", "VNNIKernels", "CBF16"], swiftSettings: kernelLevel("cooperlake")),
    .target(name: "CBF16"),
    .target(name: "KernelsAVX2", dependencies: ["KernelInterface", "AVX2Int8Kernels"], swiftSettings: kernelLevel("haswell")),
    .target(name: "AVX2Int8Kernels", dependencies: ["KernelInterface"], swiftSettings: kernelLevel("haswell", parseStdlib: true)),
]
let kernelLevelModules: [Target.Dependency] = ["KernelsAVX512", "KernelsAVX2"]
#else
let kernelLevelTargets: [Target] = []
let kernelLevelModules: [Target.Dependency] = []
#endif

/// Code that drives the kernels per token (and the baseline side of `Kernels`) stays optimized
/// in debug builds too. Release builds use plain `-O`: `precondition` guards the KV cache, the
/// scheduler and the engine's invariants, and `-Ounchecked` would remove it.
let hotPathSettings: [SwiftSetting] = [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
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

        .target(name: "CPUID"),
        .target(name: "KernelInterface", dependencies: ["CPUID"], swiftSettings: hotPathSettings),
        .target(name: "Kernels", dependencies: ["KernelInterface"] + kernelLevelModules, swiftSettings: hotPathSettings),
        .target(name: "GGUF", dependencies: ["Kernels"]),
        .target(name: "Tokenizer", dependencies: ["GGUF"]),
        .target(name: "KVCache", dependencies: ["Kernels"], swiftSettings: hotPathSettings),
        .target(name: "Model", dependencies: ["GGUF", "Kernels", "Tokenizer", "KVCache"],
                swiftSettings: hotPathSettings),
        .target(name: "StructuredOutput", swiftSettings: hotPathSettings),
        .target(name: "Engine", dependencies: ["Model", "KVCache", "Tokenizer", "Kernels", "StructuredOutput"],
                swiftSettings: hotPathSettings),
        // The queue and its file formats: JobStore is the SQLite queue alone and stores each
        // request as opaque text; RequestFormats reads and writes the OpenAI Batch and short-form
        // lines above it (and no SQL); JSON is the parser both use.
        .target(name: "JSON"),
        .target(name: "JobStore", dependencies: ["CSQLite", "JSON"]),
        .target(name: "RequestFormats", dependencies: ["JobStore", "JSON", "StructuredOutput"]),
        .target(name: "Daemon", dependencies: ["JobStore", "RequestFormats", "JSON", "Engine", "Model", "Tokenizer", "StructuredOutput"]),
        // The command lines: CommandLineKit is what both executables share (parsing, help,
        // errors, text output, defaults from the environment); JobsCLI is the `jobs` commands;
        // jobsd keeps its own command line in Sources/jobsd, so the daemon binary does not link
        // the report, doctor or bench code (nor OpenBLAS, which only `jobs bench` and the tests use).
        .target(name: "CommandLineKit", dependencies: ["KernelInterface", "Kernels", "JSON"]),
        .target(name: "JobsCLI", dependencies: ["CommandLineKit", "JobStore", "RequestFormats", "JSON", "Engine", "Model",
                                                "Daemon", "GGUF", "Kernels", "KVCache", "StructuredOutput", "Tokenizer", "COpenBLAS"]),
        .executableTarget(name: "jobs", dependencies: ["JobsCLI"]),
        .executableTarget(name: "jobsd", dependencies: ["CommandLineKit", "Daemon", "Engine", "Model", "JobStore"]),

        // Test-only helpers (a GGUF writer, tiny model builders, temporary files).
        .target(name: "TestSupport", dependencies: ["CommandLineKit", "GGUF", "JSON", "JobStore", "RequestFormats", "Kernels", "Model"], path: "Tests/TestSupport"),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "Kernels", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "GGUF", "TestSupport", "COpenBLAS"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "GGUF", "TestSupport"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "TestSupport"]),
        .testTarget(name: "StructuredOutputTests", dependencies: ["StructuredOutput", "JSON", "RequestFormats", "Engine", "Model", "TestSupport"]),
        .testTarget(name: "KVCacheTests", dependencies: ["KVCache", "Kernels"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Model", "TestSupport", "StructuredOutput"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "CommandLineKitTests", dependencies: ["CommandLineKit"]),
        .testTarget(name: "JobStoreTests", dependencies: ["JobStore", "RequestFormats", "TestSupport"]),
        .testTarget(name: "RequestFormatsTests", dependencies: ["RequestFormats", "JobStore", "JSON", "TestSupport", "StructuredOutput"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "Engine", "JobStore", "RequestFormats", "JSON", "Model",
                                                        "TestSupport", "StructuredOutput"]),
        .testTarget(name: "CLITests", dependencies: ["CommandLineKit", "JobsCLI", "KVCache", "JobStore", "RequestFormats", "JSON", "Model", "TestSupport", "StructuredOutput"]),
    ] + kernelLevelTargets
)
