@testable import JobsCLI
import Kernels
import KVCache
import XCTest

/// The machine checks of `jobs doctor` on made-up readings, and its size arithmetic.
final class DoctorChecksTests: XCTestCase {
    static let avx2 = CPUCapabilities(avx2: true, fma: true, f16c: true, osSavesAVX: true)
    static let avx512WithoutVNNI = CPUCapabilities(avx2: true, fma: true, f16c: true, avx512f: true, avx512bw: true,
                                                   avx512vl: true, avx512dq: true, osSavesAVX: true, osSavesAVX512: true)
    static let avx512: CPUCapabilities = {
        var c = avx512WithoutVNNI
        c.avx512vnni = true
        return c
    }()
    /// Zen 4 and newer, Sapphire Rapids and newer.
    static let avx512WithBF16: CPUCapabilities = {
        var c = avx512
        c.avx512bf16 = true
        return c
    }()
    /// Nehalem: SSE4.2, no AVX.
    static let sse = CPUCapabilities()

    func testCPUBelowAVX2FailsAndSaysWhatIsNeeded() {
        let finding = SystemChecks.cpu(capabilities: DoctorChecksTests.sse, forced: nil, cores: 8)
        XCTAssertEqual(finding.status, .fail)
        XCTAssertTrue(finding.finding.contains("AVX2, FMA and F16C"), finding.finding)
        XCTAssertTrue(finding.finding.hasSuffix("missing: avx2, fma, f16c"), finding.finding)
        XCTAssertTrue(finding.fix?.contains("Intel Haswell, AMD Zen or newer") == true)
    }

    func testAnOSThatDoesNotSaveTheAVXStateFailsLikeAnOldCPU() {
        var capabilities = DoctorChecksTests.avx2
        capabilities.osSavesAVX = false
        let finding = SystemChecks.cpu(capabilities: capabilities, forced: nil, cores: 8)
        XCTAssertEqual(finding.status, .fail)
        XCTAssertTrue(finding.finding.hasSuffix("missing: OS support for the AVX register state"), finding.finding)
    }

    func testTheLevelInUseIsNamed() {
        let avx2 = SystemChecks.cpu(capabilities: DoctorChecksTests.avx2, forced: nil, cores: 8)
        XCTAssertEqual(avx2.status, .ok)
        XCTAssertEqual(avx2.finding, "8 cores, kernels: avx2 (int8 dot products with vpmaddubsw)")
        let avx512 = SystemChecks.cpu(capabilities: DoctorChecksTests.avx512, forced: nil, cores: 8)
        XCTAssertEqual(avx512.finding, "8 cores, kernels: avx512 (int8 dot products with avx512_vnni)")
        let bf16 = SystemChecks.cpu(capabilities: DoctorChecksTests.avx512WithBF16, forced: nil, cores: 2)
        XCTAssertEqual(bf16.finding, "2 cores, kernels: avx512 (int8 dot products with avx512_vnni; attention's bf16 "
            + "products with avx512_bf16, so the KV cache is bf16 by default)")
        let bf16Forced = SystemChecks.cpu(capabilities: DoctorChecksTests.avx512WithBF16, forced: "avx2", cores: 2)
        XCTAssertEqual(bf16Forced.finding, "2 cores, kernels: avx2, forced by JOBS_KERNELS (int8 dot products with vpmaddubsw)")
        let forced = SystemChecks.cpu(capabilities: DoctorChecksTests.avx512, forced: "avx2", cores: 2)
        XCTAssertEqual(forced.finding, "2 cores, kernels: avx2, forced by JOBS_KERNELS (int8 dot products with vpmaddubsw)")
    }

    func testForcingALevelTheCPULacksOrNoLevelAtAllFails() {
        let lacking = SystemChecks.cpu(capabilities: DoctorChecksTests.avx2, forced: "avx512", cores: 2)
        XCTAssertEqual(lacking.status, .fail)
        XCTAssertTrue(lacking.finding.hasPrefix("JOBS_KERNELS=avx512 asks for kernels this CPU cannot run (missing: avx512f, "
            + "avx512bw, avx512vl, avx512dq)"), lacking.finding)
        XCTAssertEqual(lacking.fix, "unset JOBS_KERNELS")
        let unknown = SystemChecks.cpu(capabilities: DoctorChecksTests.avx512, forced: "neon", cores: 2)
        XCTAssertEqual(unknown.status, .fail)
        XCTAssertEqual(unknown.finding, "JOBS_KERNELS=neon is not a kernel level; use one of: avx512, avx2")
    }

    func testAVX512WithoutVNNIIsAWarningAboutSpeed() {
        let finding = SystemChecks.cpu(capabilities: DoctorChecksTests.avx512WithoutVNNI, forced: nil, cores: 2)
        XCTAssertEqual(finding.status, .warn)
        XCTAssertTrue(finding.finding.contains("without avx512_vnni: matrix products run on f32 activations"), finding.finding)
    }

    func testLevelSelectionPrefersAVX512AndFallsBackToAVX2() throws {
        XCTAssertEqual(try KernelLevel.select(forced: nil, capabilities: DoctorChecksTests.avx512), .avx512)
        XCTAssertEqual(try KernelLevel.select(forced: nil, capabilities: DoctorChecksTests.avx2), .avx2)
        XCTAssertEqual(try KernelLevel.select(forced: "AVX2", capabilities: DoctorChecksTests.avx512), .avx2)
        XCTAssertThrowsError(try KernelLevel.select(forced: nil, capabilities: DoctorChecksTests.sse))
        var noAVX512State = DoctorChecksTests.avx512
        noAVX512State.osSavesAVX512 = false
        XCTAssertEqual(try KernelLevel.select(forced: nil, capabilities: noAVX512State), .avx2,
                       "an OS that does not save the AVX-512 state gets the AVX2 level")
    }

    func testOldOpenBLASKernelsAreOnlyAWarning() {
        let old = OpenBLASInfo(configuration: "OpenBLAS 0.3.21 DYNAMIC_ARCH Prescott", coreName: "Prescott", threads: 4)
        let finding = SystemChecks.openBLAS(old, capabilities: DoctorChecksTests.avx512)
        XCTAssertEqual(finding.status, .warn)
        XCTAssertTrue(finding.finding.hasPrefix("OpenBLAS 0.3.21 runs its Prescott kernels (SSE) on this AVX-512 CPU, with 4 threads"),
                      finding.finding)
        XCTAssertTrue(finding.fix?.hasPrefix("export OPENBLAS_CORETYPE=SkylakeX") == true)
        XCTAssertEqual(SystemChecks.openBLAS(old, capabilities: DoctorChecksTests.avx2).fix?.hasPrefix("export OPENBLAS_CORETYPE=Haswell"),
                       true)
        let matching = OpenBLASInfo(configuration: "OpenBLAS 0.3.26", coreName: "SkylakeX", threads: 4)
        XCTAssertEqual(SystemChecks.openBLAS(matching, capabilities: DoctorChecksTests.avx512).status, .ok)
        let unknown = OpenBLASInfo(configuration: "OpenBLAS 0.3.26", coreName: "NEOVERSEN1", threads: 4)
        XCTAssertEqual(SystemChecks.openBLAS(unknown, capabilities: DoctorChecksTests.avx512).status, .ok)
    }

    func testMemoryFailsBelowWeightsPlusKVCacheAndWarnsWithLittleToSpare() {
        func available(_ gib: Double) -> AvailableMemory.Limit {
            .init(bytes: Int(gib * 1024 * 1024 * 1024), source: .memAvailable)
        }
        let weights = 512 << 20, kv = 2 << 30, working = 256 << 20
        let short = SystemChecks.memory(available: available(2), weights: weights, kvMemory: kv, workingMemory: working)
        XCTAssertEqual(short.status, .fail)
        XCTAssertEqual(short.finding, "2 GiB available; jobsd needs about 2.8 GiB (512 MiB of weights + 2 GiB of KV cache "
            + "+ 256 MiB of working memory): 768 MiB short")
        for option in ["--kv-memory", "--max-batch-tokens", "--max-seqs"] {
            XCTAssertTrue(short.fix?.contains(option) == true, option)
        }
        // 2.7 GiB: below weights + pool + working memory (2.75 GiB), which jobsd refuses.
        XCTAssertEqual(SystemChecks.memory(available: available(2.7), weights: weights, kvMemory: kv, workingMemory: working).status, .fail)
        XCTAssertEqual(SystemChecks.memory(available: available(2.8), weights: weights, kvMemory: kv, workingMemory: working).status, .warn)
        XCTAssertEqual(SystemChecks.memory(available: available(8), weights: weights, kvMemory: kv, workingMemory: working).status, .ok)
        XCTAssertEqual(SystemChecks.memory(available: nil, weights: nil, kvMemory: kv).status, .warn)
        // A larger working memory (more batch tokens) can make the same pool not fit.
        XCTAssertEqual(SystemChecks.memory(available: available(2.8), weights: weights, kvMemory: kv,
                                           workingMemory: 1 << 30).status, .fail)
        // Without the model's figure, the runtime's share is counted.
        XCTAssertTrue(SystemChecks.memory(available: available(8), weights: weights, kvMemory: kv).finding
            .hasSuffix("+ 64 MiB of working memory)"))
        // Under a cgroup limit, doctor names it, as jobsd does.
        let cgroup = SystemChecks.memory(available: .init(bytes: 763 << 20, source: .cgroup(path: "/t2")),
                                         weights: 245 << 20, kvMemory: 2 << 30, workingMemory: working)
        XCTAssertEqual(cgroup.status, .fail)
        XCTAssertEqual(cgroup.finding, "763 MiB available (the memory limit of cgroup /t2); jobsd needs about 2.5 GiB "
            + "(245 MiB of weights + 2 GiB of KV cache + 256 MiB of working memory): 1.7 GiB short")
    }

    func testDiskFailsWhenNearlyFullAndWarnsBelowTheDatabaseSize() {
        let folder = NSTemporaryDirectory()
        XCTAssertEqual(SystemChecks.disk(folder: folder, databaseBytes: 0, freeBytes: { _ in 50 << 20 }).status, .fail)
        let small = SystemChecks.disk(folder: folder, databaseBytes: 4 << 30, freeBytes: { _ in 3 << 30 })
        XCTAssertEqual(small.status, .warn)
        XCTAssertTrue(small.finding.hasSuffix("less than the database's size (VACUUM needs that much)"), small.finding)
        XCTAssertEqual(SystemChecks.disk(folder: folder, databaseBytes: 1 << 20, freeBytes: { _ in 40 << 30 }).status, .ok)
        // A folder that does not exist yet is measured at its nearest existing parent.
        var measured: String?
        _ = SystemChecks.disk(folder: folder + "/a/b/c", databaseBytes: 0, freeBytes: { measured = $0; return 40 << 30 })
        XCTAssertEqual(measured.map { URL(fileURLWithPath: $0).standardized.path },
                       URL(fileURLWithPath: folder).standardized.path)
    }

    func testParameterCountsReadShort() {
        XCTAssertEqual(ModelChecks.parameterCount(268_098_176), "268M")
        XCTAssertEqual(ModelChecks.parameterCount(1_543_714_304), "1.5B")
        XCTAssertEqual(ModelChecks.parameterCount(3_210_000), "3.2M")
        XCTAssertEqual(ModelChecks.parameterCount(420_000), "420k")
    }
}
