@testable import JobsCLI
import XCTest

/// The machine checks of `jobs doctor` on made-up readings, and its size arithmetic.
final class DoctorChecksTests: XCTestCase {
    static let avx512 = "processor : 0\nflags : fpu sse sse2 avx avx2 fma f16c avx512f avx512bw avx512vl avx512dq avx512_vnni\n"
    static let avx512WithoutVNNI = "processor : 0\nflags : fpu sse sse2 avx avx2 fma f16c avx512f avx512bw avx512vl avx512dq\n"
    static let avx2 = "processor : 0\nflags : fpu sse sse2 avx avx2 fma f16c\n"

    func testCPUWithoutAVX512FailsAndSaysWhichCPUsWork() {
        let finding = SystemChecks.cpu(cpuinfo: DoctorChecksTests.avx2, cores: 8)
        XCTAssertEqual(finding.status, .fail)
        XCTAssertEqual(finding.finding, "this CPU lacks avx512f, avx512bw, avx512vl, avx512dq, which the decoder's kernels are built for")
        XCTAssertTrue(finding.fix?.contains("AMD Zen 4") == true)
        XCTAssertEqual(SystemChecks.cpu(cpuinfo: DoctorChecksTests.avx512, cores: 8).status, .ok)
    }

    func testCPUWithoutVNNIIsAWarningAboutSpeed() {
        let finding = SystemChecks.cpu(cpuinfo: DoctorChecksTests.avx512WithoutVNNI, cores: 2)
        XCTAssertEqual(finding.status, .warn)
        XCTAssertTrue(finding.finding.contains("without avx512_vnni: matrix products run on f32 activations"), finding.finding)
        XCTAssertTrue(SystemChecks.cpu(cpuinfo: DoctorChecksTests.avx512, cores: 2).finding.contains("avx512_vnni"))
    }

    func testOldOpenBLASKernelsAreOnlyAWarning() {
        let old = OpenBLASInfo(configuration: "OpenBLAS 0.3.21 DYNAMIC_ARCH Prescott", coreName: "Prescott", threads: 4)
        let finding = SystemChecks.openBLAS(old, cpuinfo: DoctorChecksTests.avx512)
        XCTAssertEqual(finding.status, .warn)
        XCTAssertTrue(finding.finding.hasPrefix("OpenBLAS 0.3.21 runs its Prescott kernels (SSE) on this AVX-512 CPU, with 4 threads"),
                      finding.finding)
        XCTAssertTrue(finding.fix?.hasPrefix("export OPENBLAS_CORETYPE=SkylakeX") == true)
        XCTAssertEqual(SystemChecks.openBLAS(old, cpuinfo: DoctorChecksTests.avx2).fix?.hasPrefix("export OPENBLAS_CORETYPE=Haswell"),
                       true)
        let matching = OpenBLASInfo(configuration: "OpenBLAS 0.3.26", coreName: "SkylakeX", threads: 4)
        XCTAssertEqual(SystemChecks.openBLAS(matching, cpuinfo: DoctorChecksTests.avx512).status, .ok)
        let unknown = OpenBLASInfo(configuration: "OpenBLAS 0.3.26", coreName: "NEOVERSEN1", threads: 4)
        XCTAssertEqual(SystemChecks.openBLAS(unknown, cpuinfo: DoctorChecksTests.avx512).status, .ok)
    }

    func testMemoryFailsBelowWeightsPlusKVCacheAndWarnsWithLittleToSpare() {
        func meminfo(_ gib: Double) -> String {
            "MemTotal:       32000000 kB\nMemAvailable:   \(Int(gib * 1024 * 1024)) kB\n"
        }
        let weights = 512 << 20, kv = 2 << 30
        let short = SystemChecks.memory(meminfo: meminfo(2), weights: weights, kvMemory: kv)
        XCTAssertEqual(short.status, .fail)
        XCTAssertEqual(short.finding, "2 GiB available; jobsd needs about 2.5 GiB (512 MiB of weights + 2 GiB of KV cache)")
        XCTAssertTrue(short.fix?.contains("--kv-memory") == true)
        XCTAssertEqual(SystemChecks.memory(meminfo: meminfo(2.8), weights: weights, kvMemory: kv).status, .warn)
        XCTAssertEqual(SystemChecks.memory(meminfo: meminfo(8), weights: weights, kvMemory: kv).status, .ok)
        XCTAssertEqual(SystemChecks.memory(meminfo: "MemTotal: 1 kB\n", weights: nil, kvMemory: kv).status, .warn)
        XCTAssertEqual(SystemChecks.availableMemory(meminfo: meminfo(1)), 1 << 30)
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
